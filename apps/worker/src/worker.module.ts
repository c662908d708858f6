import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ConfigModule, type AppConfig } from '@peakstock/config';
import { DatabaseModule } from '@peakstock/persistence';
import { activityProviders } from '../../../activities';
import { TemporalWorkerService } from './temporal-worker.service';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: { level: config.logLevel, name: 'worker' } }),
        DatabaseModule,
      ],
      providers: [...activityProviders, TemporalWorkerService],
    };
  }
}
