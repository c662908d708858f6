import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type CourierBookingInput,
  courierConfirmationUpdate,
  courierHandoverUpdate,
  workflowIds,
  workflowTypes,
} from '@peakstock/contracts';
import {
  DomainError,
  ErrorCodes,
  type FieldError,
  localDate,
  notFound,
  parseInstant,
  validationFailed,
} from '@peakstock/domain';
import { findWave, findWavePlan, queryRows } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import { decisionNotAfter, TasksService } from '../tasks/tasks.service';
import { TemporalService } from '../temporal/temporal.service';
import type {
  CourierConfirmationDto,
  CourierHandoverDto,
  CreateCourierBookingDto,
} from './courier-bookings.dto';

const DAY_MS = 86_400_000;
/** Booking further ahead than a season makes no sense for daily capacity. */
const MAX_WINDOW_DAYS = 62;

interface BookingRow {
  workflow_id: string;
  warehouse: string;
  from_at: Date;
  to_at: Date;
  sale_event: string | null;
  status: 'confirming' | 'in_use' | 'closed';
  unallocated: unknown[];
}

@Injectable()
export class CourierBookingsService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    private readonly temporal: TemporalService,
    private readonly tasks: TasksService,
  ) {}

  /** Starts (or joins) the booking for this warehouse and window (or sale event). */
  async start(dto: CreateCourierBookingDto, user: AuthUser): Promise<{ workflowId: string }> {
    const errors: FieldError[] = [];
    const [events, zones] = await Promise.all([
      dto.saleEvent
        ? queryRows<{ code: string }>(this.db, 'SELECT code FROM sale_events WHERE code = $1', [
            dto.saleEvent,
          ])
        : Promise.resolve([{ code: '' }]),
      queryRows<{ timezone: string }>(this.db, 'SELECT timezone FROM warehouses WHERE code = $1', [
        dto.warehouse,
      ]),
    ]);
    if (!zones.length) errors.push({ field: 'warehouse', reason: 'unknown warehouse' });
    if (!events.length) errors.push({ field: 'saleEvent', reason: 'unknown sale event' });
    const fromMs = parseInstant(dto.from);
    const toMs = parseInstant(dto.to);
    if (toMs <= fromMs) errors.push({ field: 'to', reason: 'the window ends before it starts' });
    else if (toMs - fromMs > MAX_WINDOW_DAYS * DAY_MS)
      errors.push({ field: 'to', reason: `the window is limited to ${MAX_WINDOW_DAYS} days` });
    else if (toMs <= (await this.clock.nowMs()))
      errors.push({ field: 'to', reason: 'the window has ended (business time)' });
    if (errors.length) throw validationFailed(errors);
    const zone = { timeZone: zones[0]!.timezone };
    const input: CourierBookingInput = {
      warehouse: dto.warehouse,
      fromMs,
      toMs,
      saleEvent: dto.saleEvent ?? null,
      clock: await this.clock.current(),
      startedBy: { kind: 'user', id: user.id, name: user.name },
    };
    const window = dto.saleEvent ?? `${localDate(zone, fromMs)}_${localDate(zone, toMs - 1)}`;
    return this.temporal.start(
      'courier_booking',
      workflowTypes.courierBooking,
      workflowIds.courierBooking(dto.warehouse, window),
      [input],
    );
  }

  /** Booked, overflow, used and released parcels per courier and day. */
  async get(id: string) {
    const booking = await this.row(id);
    const lines = await queryRows<{
      courier: string;
      day: string;
      kind: 'primary' | 'overflow';
      parcels: number;
      released: number;
      status: string;
    }>(
      this.db,
      `SELECT courier, day::text, kind, parcels, released, status FROM courier_booking_lines
        WHERE workflow_id = $1 ORDER BY courier, day, kind`,
      [id],
    );
    const used = await queryRows<{ courier: string; day: string; parcels: number }>(
      this.db,
      `SELECT courier, day::text, sum(parcels)::int AS parcels FROM courier_handovers
        WHERE workflow_id = $1 GROUP BY courier, day`,
      [id],
    );
    const cells = new Map<string, Record<string, unknown> & { courier: string; day: string }>();
    const cell = (courier: string, day: string) => {
      const k = `${courier}|${day}`;
      let c = cells.get(k);
      if (!c) {
        c = { courier, day, booked: 0, overflow: 0, used: 0, released: 0, status: null as string | null };
        cells.set(k, c);
      }
      return c as {
        courier: string;
        day: string;
        booked: number;
        overflow: number;
        used: number;
        released: number;
        status: string | null;
      };
    };
    for (const l of lines) {
      const c = cell(l.courier, l.day);
      if (l.kind === 'primary') {
        c.booked += l.parcels;
        c.status = l.status;
      } else c.overflow += l.parcels;
      c.released += l.released;
    }
    for (const u of used) cell(u.courier, u.day).used += u.parcels;
    return {
      workflowId: id,
      warehouse: booking.warehouse,
      from: booking.from_at.toISOString(),
      to: booking.to_at.toISOString(),
      saleEvent: booking.sale_event,
      status: booking.status,
      days: [...cells.values()].sort((a, b) =>
        a.day < b.day ? -1 : a.day > b.day ? 1 : a.courier < b.courier ? -1 : 1,
      ),
      unallocated: booking.unallocated,
    };
  }

  /** The courier (its partner user, or its system with that user's token) or ops answers a booking request. */
  async confirm(id: string, dto: CourierConfirmationDto, user: AuthUser) {
    await this.row(id);
    if (user.role === 'partner' && user.courier !== dto.courier)
      throw new DomainError(ErrorCodes.FORBIDDEN, 'a courier answers for itself only');
    const asked = await queryRows<{ n: number }>(
      this.db,
      `SELECT 1 AS n FROM courier_booking_lines WHERE workflow_id = $1 AND courier = $2 AND status = 'requested'`,
      [id, dto.courier],
    );
    if (!asked.length)
      throw new DomainError(
        ErrorCodes.INVALID_STATE,
        `courier ${dto.courier} has nothing to confirm in this booking`,
      );
    return this.tasks.executeUpdate(id, courierConfirmationUpdate, {
      courier: dto.courier,
      accept: dto.accept,
      idempotencyKey: dto.idempotencyKey,
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs: decisionNotAfter(),
    });
  }

  /**
   * Parcels of a wave handed to a courier (its partner or the warehouse's lead), counted against the booking in
   * use for that warehouse now; never more than the wave's orders not handed over yet.
   */
  async handover(dto: CourierHandoverDto, user: AuthUser) {
    if (user.role === 'partner' && user.courier !== dto.courier)
      throw new DomainError(ErrorCodes.FORBIDDEN, 'a courier reports its own hand-overs only');
    if (user.role === 'warehouse_lead' && !user.warehouses.includes(dto.warehouse))
      throw new DomainError(
        ErrorCodes.FORBIDDEN,
        `only the lead of ${dto.warehouse} may report its hand-overs`,
      );
    const errors: FieldError[] = [];
    const [couriers, noWarehouse, wave] = await Promise.all([
      queryRows<{ code: string }>(this.db, 'SELECT code FROM couriers WHERE code = $1', [dto.courier]),
      this.lookup.missingWarehouses([dto.warehouse]),
      findWave(this.db, dto.waveId),
    ]);
    if (!couriers.length) errors.push({ field: 'courier', reason: 'unknown courier' });
    if (noWarehouse.length) errors.push({ field: 'warehouse', reason: 'unknown warehouse' });
    const plan = wave ? await findWavePlan(this.db, wave.plan_id) : null;
    if (!wave || plan?.warehouse !== dto.warehouse)
      errors.push({ field: 'waveId', reason: `no wave of ${dto.warehouse} has this id` });
    if (errors.length) throw validationFailed(errors);
    const now = await this.clock.nowMs();
    const [booking] = await queryRows<BookingRow>(
      this.db,
      `SELECT * FROM courier_bookings WHERE warehouse = $1 AND status = 'in_use' AND from_at <= $2 AND to_at > $2
        ORDER BY from_at DESC LIMIT 1`,
      [dto.warehouse, new Date(now).toISOString()],
    );
    if (!booking)
      throw new DomainError(
        ErrorCodes.INVALID_STATE,
        `no courier booking is in use for ${dto.warehouse} now`,
      );
    const [counts] = await queryRows<{ orders: number; handed: number; repeat: boolean }>(
      this.db,
      `SELECT (SELECT count(*)::int FROM wave_orders WHERE wave_id = $1) AS orders,
              (SELECT coalesce(sum(parcels), 0)::int FROM courier_handovers WHERE wave_id = $1) AS handed,
              EXISTS (SELECT 1 FROM courier_handovers WHERE workflow_id = $2 AND idempotency_key = $3) AS repeat`,
      [dto.waveId, booking.workflow_id, dto.idempotencyKey],
    );
    const left = counts!.orders - counts!.handed;
    if (!counts!.repeat && dto.parcels > left)
      throw validationFailed([
        { field: 'parcels', reason: `exceeds the ${left} parcels of the wave not handed over yet` },
      ]);
    return this.tasks.executeUpdate(booking.workflow_id, courierHandoverUpdate, {
      courier: dto.courier,
      waveId: dto.waveId,
      parcels: dto.parcels,
      idempotencyKey: dto.idempotencyKey,
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs: decisionNotAfter(),
    });
  }

  private async row(id: string): Promise<BookingRow> {
    const [row] = await queryRows<BookingRow>(
      this.db,
      'SELECT * FROM courier_bookings WHERE workflow_id = $1',
      [id],
    );
    if (!row) throw notFound(`courier booking ${id}`);
    return row;
  }
}
