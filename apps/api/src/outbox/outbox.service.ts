import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { DomainError, ErrorCodes } from '@peakstock/domain';
import { queryRows } from '@peakstock/persistence';
import { ClockService } from '../clock/clock.service';
import { TemporalService } from '../temporal/temporal.service';

interface OutboxRow {
  id: string;
  kind: 'start' | 'signal';
  workflow_type: string | null;
  workflow_id: string;
  signal_name: string | null;
  payload: { args?: unknown[]; taskQueue?: string; arg?: unknown };
  created_at: Date;
  attempts: number;
}

const BATCH = 50;
/** A claimed row is another replica's to retry once this lease runs out (its holder may have died). */
const LEASE_SECONDS = 30;
const POLL_MS = 1_000;
const MAX_ATTEMPTS = 25;
/** Starts and signals in flight at once, per replica. */
const PARALLEL = 8;

/**
 * Delivers outbox rows right after commit (kick) and on a poll (backstop), on every API replica. Rows are
 * claimed with SKIP LOCKED under a lease, so replicas never deliver the same row at once; a redelivery after a
 * crash is harmless: starts use the deterministic id (joining a running workflow, recognising a finished one),
 * signals carry a dedupe key the workflow checks.
 */
@Injectable()
export class OutboxService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Outbox');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: DataSource,
    private readonly temporal: TemporalService,
    private readonly clock: ClockService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Call after committing a transaction that wrote outbox rows; coalesces concurrent kicks. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err: unknown) => this.log.warn(`relay pass failed: ${String(err)}`))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Delivers until nothing is due. Exposed for tests and for a synchronous flush. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await queryRows<OutboxRow>(
        this.db,
        `UPDATE outbox SET attempts = attempts + 1, available_at = now() + make_interval(secs => $2)
          WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL AND available_at <= now()
                        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [BATCH, LEASE_SECONDS],
      );
      if (rows.length === 0) return total;
      total += rows.length;
      // Different workflows in parallel (a start is a round trip to Temporal; one after another, a burst of
      // alerts queues behind itself); one workflow's rows in id order, so a start goes before its signals.
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      const byWorkflow = new Map<string, OutboxRow[]>();
      for (const row of rows)
        byWorkflow.set(row.workflow_id, [...(byWorkflow.get(row.workflow_id) ?? []), row]);
      const lanes = [...byWorkflow.values()];
      // The first workflow alone: it (re)connects the client, and when Temporal is down the rest of the batch
      // waits for its lease instead of every row failing at once.
      const first = lanes.shift()!;
      let reachable = true;
      for (const row of first) reachable = (await this.deliverOne(row)) && reachable;
      if (!reachable) return total;
      await Promise.all(
        Array.from({ length: Math.min(PARALLEL, lanes.length) }, async () => {
          for (let lane = lanes.shift(); lane; lane = lanes.shift())
            for (const row of lane) await this.deliverOne(row);
        }),
      );
      if (this.stopped) return total;
    }
  }

  /** Delivers one row; false when Temporal could not be reached (the row is retried after a back-off). */
  private async deliverOne(row: OutboxRow): Promise<boolean> {
    try {
      if (row.kind === 'start') await this.start(row);
      else await this.signal(row);
      await this.db.query('UPDATE outbox SET delivered_at = now(), last_error = NULL WHERE id = $1', [
        row.id,
      ]);
      return true;
    } catch (err) {
      const giveUp = row.attempts >= MAX_ATTEMPTS || err instanceof WorkflowNotFoundError;
      const backoff = Math.min(300, 2 ** Math.min(row.attempts, 8));
      await this.db.query(
        `UPDATE outbox SET last_error = $2,
           available_at = CASE WHEN $3 THEN 'infinity'::timestamptz ELSE now() + make_interval(secs => $4) END
         WHERE id = $1`,
        [row.id, String(err).slice(0, 2000), giveUp, backoff],
      );
      if (giveUp)
        this.log.error(`outbox row ${row.id} (${row.kind} ${row.workflow_id}) given up: ${String(err)}`);
      return !(err instanceof DomainError && err.code === ErrorCodes.TEMPORAL_UNAVAILABLE);
    }
  }

  private async start(row: OutboxRow): Promise<void> {
    const client = this.temporal.client;
    if (row.attempts > 1) {
      // An earlier claim may have started it before dying: a run that began after the row was written is ours.
      const existing = await this.temporal
        .call(() => client.workflow.getHandle(row.workflow_id).describe())
        .catch((err: unknown) => (err instanceof WorkflowNotFoundError ? null : Promise.reject(err)));
      if (existing && existing.startTime.getTime() >= row.created_at.getTime() - 1_000) return;
    }
    // A workflow input that carries the business clock gets the current one: the clock may have changed
    // (PUT /v1/clock) between the write and this delivery, and a workflow not yet running got no signal.
    const args = [...(row.payload.args ?? [])];
    const first = args[0] as { clock?: unknown } | undefined;
    if (first && typeof first === 'object' && first.clock && typeof first.clock === 'object') {
      args[0] = { ...first, clock: await this.clock.current() };
    }
    await this.temporal.start(
      row.workflow_type!,
      row.workflow_type!,
      row.workflow_id,
      args,
      undefined,
      row.payload.taskQueue,
    );
  }

  private async signal(row: OutboxRow): Promise<void> {
    await this.temporal.call(() =>
      this.temporal.client.workflow.getHandle(row.workflow_id).signal(row.signal_name!, row.payload.arg),
    );
  }
}
