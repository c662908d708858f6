import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import { connectWorker, repoRoot, workflowBundleOptions } from '@peakstock/temporal';
import { activityProviders } from '../../../activities';
import { ActivityFailureCounter } from './activity-failures.interceptor';

/** Collects every public method of every activity class as `{ name: boundFn }`. */
function collectActivities(instances: object[]): Record<string, (...args: unknown[]) => Promise<unknown>> {
  const out: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const instance of instances) {
    const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const fn = proto[name];
      if (name === 'constructor' || typeof fn !== 'function') continue;
      if (out[name]) throw new Error(`activity name ${name} is defined twice`);
      out[name] = (fn as (...a: unknown[]) => Promise<unknown>).bind(instance);
    }
  }
  return out;
}

@Injectable()
export class TemporalWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Worker');
  private worker?: Worker;
  private connection?: NativeConnection;
  private running?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
    private readonly db: DataSource,
  ) {}

  private workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
    const prebuilt =
      this.config.temporal.workflowBundlePath ?? path.join(repoRoot(), 'dist', 'workflow-bundle.js');
    if (existsSync(prebuilt)) {
      this.log.log(`workflow bundle ${prebuilt}`);
      return { workflowBundle: { codePath: prebuilt } };
    }
    if (this.config.temporal.workflowBundlePath)
      throw new Error(`WORKFLOW_BUNDLE ${prebuilt} does not exist`);
    const { workflowsPath, webpackConfigHook } = workflowBundleOptions();
    this.log.log('no pre-built workflow bundle: bundling workflows from source');
    return { workflowsPath, bundlerOptions: { webpackConfigHook } };
  }

  async onApplicationBootstrap(): Promise<void> {
    const t = this.config.temporal;
    this.connection = await connectWorker(t);
    const instances = activityProviders.map((p) => this.moduleRef.get(p, { strict: false }) as object);
    this.worker = await Worker.create({
      connection: this.connection,
      namespace: t.namespace,
      taskQueue: t.taskQueue,
      ...this.workflowSource(),
      activities: collectActivities(instances),
      interceptors: { activity: [() => ({ inbound: new ActivityFailureCounter(this.db) })] },
      // Let in-flight activities finish their idempotent writes before the process leaves.
      shutdownGraceTime: '10s',
      // A decision waits at most 10 s for its update (API.md). After a worker restart, a workflow the old worker
      // had cached still gets its next task on that worker's sticky queue until this timeout, then on the shared
      // queue; the SDK's 10 s default would spend the caller's whole wait there and answer 503.
      stickyQueueScheduleToStartTimeout: '3s',
    });
    this.running = this.worker.run().catch((err: unknown) => {
      this.log.error(`worker stopped: ${String(err)}`);
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    });
    this.log.log(`polling task queue ${t.taskQueue} on ${t.address} (namespace ${t.namespace})`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running;
    await this.connection?.close();
  }
}
