/**
 * Keeps one workflow's progress: answers the `progress` query, mirrors kind/stage/subject into search
 * attributes and writes the projection through an activity at every change.
 */
import { proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  progressQuery,
  searchAttributes,
  type ProgressActor,
  type ProgressStep,
  type ProjectionActivities,
  type WorkflowKind,
  type WorkflowProgress,
  type WorkflowStatus,
} from '@peakstock/contracts';
import { dbWrite } from './activity-presets';
import type { BusinessTime } from './business-time';

const { recordProgress } = proxyActivities<ProjectionActivities>(dbWrite);

export class ProgressTracker {
  private state: WorkflowProgress;

  constructor(
    private readonly time: BusinessTime,
    init: {
      kind: WorkflowKind;
      steps: string[];
      startedBy: ProgressActor;
      subject?: WorkflowProgress['subject'];
    },
  ) {
    const now = time.nowIso();
    this.state = {
      workflowId: workflowInfo().workflowId,
      runId: workflowInfo().runId,
      kind: init.kind,
      status: 'running',
      stage: init.steps[0] ?? 'started',
      steps: init.steps.map((name): ProgressStep => ({ name, status: 'pending' })),
      waitingOn: null,
      eta: null,
      startedBy: init.startedBy,
      startedAt: now,
      updatedAt: now,
      subject: init.subject ?? {},
      links: [],
      data: {},
      version: 0,
    };
    setHandler(progressQuery, () => this.state);
  }

  get progress(): WorkflowProgress {
    return this.state;
  }

  /** Enters a stage: closes the active step, opens this one, publishes. */
  async stage(
    name: string,
    extra: {
      waitingOn?: WorkflowProgress['waitingOn'];
      eta?: string | null;
      data?: Record<string, unknown>;
    } = {},
  ): Promise<void> {
    const now = this.time.nowIso();
    for (const s of this.state.steps) {
      if (s.status === 'active') Object.assign(s, { status: 'done', endedAt: now });
    }
    const step = this.state.steps.find((s) => s.name === name);
    if (step) Object.assign(step, { status: 'active', startedAt: now });
    else this.state.steps.push({ name, status: 'active', startedAt: now });
    this.state.stage = name;
    this.state.waitingOn = extra.waitingOn ?? null;
    if (extra.eta !== undefined) this.state.eta = extra.eta;
    if (extra.data) this.state.data = { ...this.state.data, ...extra.data };
    await this.publish();
  }

  async finish(status: Exclude<WorkflowStatus, 'running'>, stage: string, data?: Record<string, unknown>) {
    const now = this.time.nowIso();
    for (const s of this.state.steps) {
      if (s.status === 'active')
        Object.assign(s, { status: status === 'completed' ? 'done' : 'failed', endedAt: now });
      else if (s.status === 'pending') s.status = 'skipped';
    }
    this.state.status = status;
    this.state.stage = stage;
    this.state.waitingOn = null;
    if (data) this.state.data = { ...this.state.data, ...data };
    await this.publish();
  }

  private async publish(): Promise<void> {
    this.state.version++;
    this.state.updatedAt = this.time.nowIso();
    const { sku, warehouses, saleEvent } = this.state.subject;
    const pairs: SearchAttributeUpdatePair[] = [
      { key: searchAttributes.kind, value: this.state.kind },
      { key: searchAttributes.stage, value: this.state.stage },
    ];
    if (sku) pairs.push({ key: searchAttributes.sku, value: sku });
    if (warehouses?.length) pairs.push({ key: searchAttributes.warehouses, value: warehouses });
    if (saleEvent) pairs.push({ key: searchAttributes.saleEvent, value: saleEvent });
    upsertSearchAttributes(pairs);
    // The argument is serialised when the activity is scheduled, so later mutations cannot leak into it.
    await recordProgress(this.state);
  }
}
