import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The API's Prometheus registry (one per process; tests may build several apps, hence no global default). */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'peakstock_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly workflowStarts = new Counter({
    name: 'peakstock_workflow_starts_total',
    help: 'Workflow start requests by kind and outcome (started or joined a running one, joined a closed one, failed)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly activityFailures = new Counter({
    name: 'peakstock_activity_failures_total',
    help: 'Failed activity attempts reported by the workers, by activity type',
    labelNames: ['activity'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'peakstock_api_' });
  }
}
