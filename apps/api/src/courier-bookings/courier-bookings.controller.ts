import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { INTERNAL_ROLES, type AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { CourierConfirmationDto, CourierHandoverDto, CreateCourierBookingDto } from './courier-bookings.dto';
import { CourierBookingsService } from './courier-bookings.service';

/** `:id` is the workflow id (`courier-booking:<warehouse>:<window>`), URL-encoded. */
@ApiTags('couriers')
@ApiBearerAuth()
@Controller('v1/courier-bookings')
export class CourierBookingsController {
  constructor(private readonly bookings: CourierBookingsService) {}

  @Post()
  @HttpCode(202)
  @Allow('supply_manager', 'ops')
  @ApiOperation({
    summary:
      'Book courier capacity for a warehouse and window: forecast, quotes, cheapest allocation, confirmation',
  })
  async start(
    @Body() body: CreateCourierBookingDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { workflowId } = await this.bookings.start(body, user);
    void reply.header('Location', `/v1/workflows/${encodeURIComponent(workflowId)}`);
    return { workflowId };
  }

  @Get(':id')
  @Allow(...INTERNAL_ROLES)
  @ApiOperation({ summary: 'Booked, overflow, used and released parcels per courier and day' })
  get(@Param('id') id: string) {
    return this.bookings.get(id);
  }

  @Post(':id/confirmation')
  @HttpCode(200)
  @Allow('partner', 'ops')
  @ApiOperation({ summary: "A courier's answer to the capacity requested of it (its partner, or ops)" })
  confirm(@Param('id') id: string, @Body() body: CourierConfirmationDto, @CurrentUser() user: AuthUser) {
    return this.bookings.confirm(id, body, user);
  }
}

@ApiTags('couriers')
@ApiBearerAuth()
@Controller('v1/courier-handovers')
export class CourierHandoversController {
  constructor(private readonly bookings: CourierBookingsService) {}

  @Post()
  @HttpCode(200)
  @Allow('partner', 'warehouse_lead')
  @ApiOperation({ summary: "Parcels of a wave handed to a courier: they use the warehouse's booking in use" })
  handover(@Body() body: CourierHandoverDto, @CurrentUser() user: AuthUser) {
    return this.bookings.handover(body, user);
  }
}
