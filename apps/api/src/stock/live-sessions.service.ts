import { WorkflowNotFoundError } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { endSessionSignal, workflowIds, workflowTypes, type LiveSessionInput } from '@peakstock/contracts';
import {
  DomainError,
  ErrorCodes,
  notFound,
  parseInstant,
  validationFailed,
  type FieldError,
} from '@peakstock/domain';
import { applyLedger, enqueueOutbox, insertAudit, StockUnavailableError } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { setResponseStatus } from '../common/http-status';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import { OutboxService } from '../outbox/outbox.service';
import { TemporalService } from '../temporal/temporal.service';
import type { CreateLiveSessionDto } from './live-sessions.dto';

export interface LiveSessionView {
  id: string;
  channel: string;
  startsAt: string;
  endsAt: string;
  status: string;
  workflowId: string;
  locks: {
    warehouse: string;
    sku: string;
    locked: number;
    used: number;
    returned: number;
    remaining: number;
  }[];
}

@Injectable()
export class LiveSessionsService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    private readonly outbox: OutboxService,
    private readonly temporal: TemporalService,
  ) {}

  /**
   * Locks the units for the session (all or nothing, a warehouse per SKU unless given: the one with most
   * available, splitting only when none has enough) and schedules the return of the remainder at `endsAt`
   * through the outbox, in one transaction. The same session again answers 200 with what was locked.
   */
  async create(dto: CreateLiveSessionDto, user: AuthUser, reply: object): Promise<LiveSessionView> {
    const hash = createHash('sha256').update(JSON.stringify(dto)).digest('hex');
    const existing: { request_hash: string }[] = await this.db.query(
      'SELECT request_hash FROM live_sessions WHERE id = $1',
      [dto.id],
    );
    if (existing[0]) {
      if (existing[0].request_hash !== hash)
        throw new DomainError(ErrorCodes.ALREADY_EXISTS, `live session ${dto.id} exists with other settings`);
      setResponseStatus(reply, 200);
      return this.get(dto.id);
    }
    const nowMs = await this.clock.nowMs();
    const errors: FieldError[] = [];
    const [noChannel, noSkus, noWarehouses] = await Promise.all([
      this.lookup.missingChannels([dto.channel]),
      this.lookup.missingSkus(dto.locks.map((l) => l.sku)),
      this.lookup.missingWarehouses(dto.locks.flatMap((l) => (l.warehouse ? [l.warehouse] : []))),
    ]);
    if (noChannel.length) errors.push({ field: 'channel', reason: 'unknown channel' });
    if (parseInstant(dto.endsAt) <= parseInstant(dto.startsAt))
      errors.push({ field: 'endsAt', reason: 'must be after startsAt' });
    else if (parseInstant(dto.endsAt) <= nowMs)
      errors.push({ field: 'endsAt', reason: 'is already past (business time)' });
    const seen = new Set<string>();
    dto.locks.forEach((l, i) => {
      const key = `${l.sku}@${l.warehouse ?? '*'}`;
      if (seen.has(key)) errors.push({ field: `locks[${i}].sku`, reason: 'duplicate lock line' });
      seen.add(key);
      if (noSkus.includes(l.sku)) errors.push({ field: `locks[${i}].sku`, reason: 'unknown SKU' });
      if (l.warehouse && noWarehouses.includes(l.warehouse))
        errors.push({ field: `locks[${i}].warehouse`, reason: 'unknown warehouse' });
    });
    if (errors.length) throw validationFailed(errors);

    const at = new Date(nowMs).toISOString();
    const workflowId = workflowIds.liveSession(dto.id);
    try {
      await this.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO live_sessions (id, channel, starts_at, ends_at, status, request_hash, workflow_id, created_at)
           VALUES ($1, $2, $3, $4, 'active', $5, $6, $7)`,
          [dto.id, dto.channel, dto.startsAt, dto.endsAt, hash, workflowId, at],
        );
        const parts: { warehouse: string; sku: string; qty: number }[] = [];
        for (const l of dto.locks) {
          const candidates: { warehouse: string; available: number }[] = await tx.query(
            `SELECT warehouse, on_hand - reserved - locked AS available FROM stock_levels
              WHERE sku = $1 AND ($2::text IS NULL OR warehouse = $2) AND on_hand - reserved - locked > 0
              ORDER BY on_hand - reserved - locked DESC, warehouse`,
            [l.sku, l.warehouse ?? null],
          );
          const whole = candidates.find((c) => c.available >= l.qty);
          let left = l.qty;
          for (const c of whole ? [whole] : candidates) {
            const take = Math.min(left, c.available);
            if (take > 0) parts.push({ warehouse: c.warehouse, sku: l.sku, qty: take });
            left -= take;
            if (left === 0) break;
          }
          if (left > 0) throw new StockUnavailableError(`${l.sku}: ${l.qty - left} of ${l.qty} available`);
        }
        await applyLedger(
          tx,
          parts.map((p) => ({
            warehouse: p.warehouse,
            sku: p.sku,
            kind: 'lock',
            dLocked: p.qty,
            idempotencyKey: `live-session:${dto.id}:lock:${p.warehouse}:${p.sku}`,
            actor: { kind: 'user', id: user.id },
            cause: { sessionId: dto.id, channel: dto.channel },
            at,
          })),
        );
        for (const p of parts) {
          await tx.query(
            `INSERT INTO live_session_locks (session_id, warehouse, sku, locked) VALUES ($1, $2, $3, $4)
             ON CONFLICT (session_id, warehouse, sku) DO UPDATE SET locked = live_session_locks.locked + EXCLUDED.locked`,
            [dto.id, p.warehouse, p.sku, p.qty],
          );
        }
        const input: LiveSessionInput = {
          sessionId: dto.id,
          channel: dto.channel,
          endsAt: new Date(parseInstant(dto.endsAt)).toISOString(),
          skus: [...new Set(parts.map((p) => p.sku))],
          warehouses: [...new Set(parts.map((p) => p.warehouse))],
          clock: await this.clock.current(),
          startedBy: { kind: 'user', id: user.id, name: user.name },
        };
        await enqueueOutbox(tx, {
          kind: 'start',
          workflowType: workflowTypes.liveSession,
          workflowId,
          args: [input],
        });
        await insertAudit(tx, {
          at,
          actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
          action: 'live-session.created',
          target: { kind: 'live_session', id: dto.id },
          data: { channel: dto.channel, locks: parts },
          idempotencyKey: `live-session.created:${dto.id}`,
        });
      });
    } catch (err) {
      if (err instanceof StockUnavailableError) {
        throw new DomainError(
          ErrorCodes.OUT_OF_STOCK,
          `not enough available stock to lock: ${err.message}; nothing was locked`,
        );
      }
      if ((err as { code?: string; driverError?: { code?: string } }).driverError?.code === '23505') {
        return this.create(dto, user, reply); // a concurrent twin created it: answer as a repeat
      }
      throw err;
    }
    this.outbox.kick();
    return this.get(dto.id);
  }

  async get(id: string): Promise<LiveSessionView> {
    const rows: {
      id: string;
      channel: string;
      starts_at: Date;
      ends_at: Date;
      status: string;
      workflow_id: string;
    }[] = await this.db.query('SELECT * FROM live_sessions WHERE id = $1', [id]);
    const s = rows[0];
    if (!s) throw notFound('live session');
    const locks: { warehouse: string; sku: string; locked: number; used: number; returned: number }[] =
      await this.db.query(
        'SELECT warehouse, sku, locked, used, returned FROM live_session_locks WHERE session_id = $1 ORDER BY sku, warehouse',
        [id],
      );
    return {
      id: s.id,
      channel: s.channel,
      startsAt: s.starts_at.toISOString(),
      endsAt: s.ends_at.toISOString(),
      status: s.status,
      workflowId: s.workflow_id,
      locks: locks.map((l) => ({ ...l, remaining: l.locked - l.used - l.returned })),
    };
  }

  /** Ends the session now: its workflow returns the remainder (exactly once, however often this is called). */
  async end(id: string, user: AuthUser): Promise<LiveSessionView> {
    const session = await this.get(id);
    if (session.status === 'active') {
      try {
        await this.temporal.call(() =>
          this.temporal.client.workflow
            .getHandle(session.workflowId)
            .signal(endSessionSignal, { by: user.id }),
        );
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        throw new DomainError(
          ErrorCodes.INVALID_STATE,
          'the session is still starting; try again in a moment',
        );
      }
    }
    return session;
  }
}
