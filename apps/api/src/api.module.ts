import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { ConfigModule, type AppConfig } from '@peakstock/config';
import { DatabaseModule } from '@peakstock/persistence';
import { AuthGuard } from './auth/auth.guard';
import { TokenService } from './auth/token.service';
import { ClockController } from './clock/clock.controller';
import { ClockService } from './clock/clock.service';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { ApiValidationPipe } from './common/validation';
import { HealthController } from './health/health.controller';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { ApiMetrics } from './metrics/metrics';
import { MetricsController } from './metrics/metrics.controller';
import { ProbesController } from './probes/probes.controller';
import { TemporalService } from './temporal/temporal.service';
import { MeController, UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';
import { WorkflowsController } from './workflows/workflows.controller';
import { AuditController } from './audit/audit.controller';
import { AlertEngine } from './alerts/alert-engine.service';
import { AlertPoliciesService } from './alerts/alert-policies.service';
import { AlertsController } from './alerts/alerts.controller';
import { AlertsService } from './alerts/alerts.service';
import { CouriersController } from './couriers/couriers.controller';
import { CouriersService } from './couriers/couriers.service';
import { WavePlansController, WavesController } from './wave-plans/wave-plans.controller';
import { WavePlansService } from './wave-plans/wave-plans.service';
import {
  CourierBookingsController,
  CourierHandoversController,
} from './courier-bookings/courier-bookings.controller';
import { CourierBookingsService } from './courier-bookings/courier-bookings.service';
import { SaleEventsController } from './sale-events/sale-events.controller';
import { SaleEventsService } from './sale-events/sale-events.service';
import { KitBuildsController } from './kit-builds/kit-builds.controller';
import { KitBuildsService } from './kit-builds/kit-builds.service';
import { TransfersController } from './transfers/transfers.controller';
import { TransfersService } from './transfers/transfers.service';
import { RestocksController } from './restocks/restocks.controller';
import { RestocksService } from './restocks/restocks.service';
import { RestockBudgetController, SuppliersController } from './suppliers/suppliers.controller';
import { SuppliersService } from './suppliers/suppliers.service';
import { SubscriptionsController } from './notifications/subscriptions.controller';
import { OutboxService } from './outbox/outbox.service';
import { ProgressEventsService } from './sse/progress-events.service';
import { SseController } from './sse/sse.controller';
import { KpisController } from './kpis/kpis.controller';
import { KpisService } from './kpis/kpis.service';
import { AlertPolicyPreviewService } from './alerts/alert-policy-preview.service';
import { TasksController } from './tasks/tasks.controller';
import { TasksService } from './tasks/tasks.service';
import { MasterDataModule } from './master-data/master-data.module';
import { DemandSignalsService } from './stock/demand-signals.service';
import { GeoService } from './stock/geo.service';
import { LiveSessionsController } from './stock/live-sessions.controller';
import { LiveSessionsService } from './stock/live-sessions.service';
import { OrdersController } from './stock/orders.controller';
import { OrdersService } from './stock/orders.service';
import { PresaleService } from './stock/presale.service';
import { ReservationBatcher } from './stock/reservation-batcher';
import { SellablePublisher } from './stock/sellable-publisher.service';
import { StockController } from './stock/stock.controller';
import { StockService } from './stock/stock.service';
import { StockHistoryService } from './stock/stock-history.service';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            name: 'api',
            level: config.logLevel,
            // Tokens and cookies never reach a log line.
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.query.ticket'],
            customLogLevel: (_req, res, err) =>
              err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
            autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
          },
        }),
        DatabaseModule,
        MasterDataModule,
      ],
      controllers: [
        HealthController,
        MetricsController,
        ClockController,
        UsersController,
        MeController,
        ProbesController,
        WorkflowsController,
        SseController,
        KpisController,
        TasksController,
        AuditController,
        SubscriptionsController,
        StockController,
        OrdersController,
        LiveSessionsController,
        AlertsController,
        TransfersController,
        KitBuildsController,
        CouriersController,
        WavePlansController,
        WavesController,
        CourierBookingsController,
        CourierHandoversController,
        SaleEventsController,
        SuppliersController,
        RestockBudgetController,
        RestocksController,
      ],
      providers: [
        { provide: ApiMetrics, useValue: new ApiMetrics() },
        TemporalService,
        TokenService,
        ClockService,
        UsersService,
        TasksService,
        OutboxService,
        ProgressEventsService,
        KpisService,
        AlertPolicyPreviewService,
        GeoService,
        DemandSignalsService,
        LiveSessionsService,
        PresaleService,
        ReservationBatcher,
        SellablePublisher,
        OrdersService,
        StockService,
        StockHistoryService,
        AlertPoliciesService,
        AlertEngine,
        AlertsService,
        TransfersService,
        KitBuildsService,
        CouriersService,
        WavePlansService,
        CourierBookingsService,
        SaleEventsService,
        SuppliersService,
        RestocksService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_PIPE, useClass: ApiValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
