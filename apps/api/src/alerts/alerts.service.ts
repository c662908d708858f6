import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notFound } from '@peakstock/domain';
import {
  holdView,
  insertAudit,
  MANUAL_RELEASE,
  queryRows,
  releaseHold,
  type StockHold,
} from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { decodeCursor, pageOf, type Page } from '../common/cursor';
import { AlertEngine, alertView, type AlertView } from './alert-engine.service';
import type { ListAlertsQuery, ListHoldsQuery } from './alerts.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AlertWorkflowLink {
  workflowId: string;
  workflowType: string;
  action: string;
  level: string;
  status: string | null;
  stage: string | null;
}

@Injectable()
export class AlertsService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly engine: AlertEngine,
  ) {}

  /** Newest first; `warehouse=network` lists the network-wide alerts. */
  async list(q: ListAlertsQuery): Promise<Page<AlertView>> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, 2) as [string, string] | null;
    const rows = await queryRows<Parameters<typeof alertView>[0]>(
      this.db,
      `SELECT * FROM alerts
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR level = $2)
          AND ($3::text IS NULL OR sku = $3)
          AND ($4::text IS NULL OR ($4 = 'network' AND warehouse IS NULL) OR warehouse = $4)
          AND ($5::timestamptz IS NULL OR (opened_at, id) < ($5::timestamptz, $6::uuid))
        ORDER BY opened_at DESC, id DESC LIMIT $7`,
      [
        q.status ?? null,
        q.level ?? null,
        q.sku ?? null,
        q.warehouse ?? null,
        after?.[0] ?? null,
        after?.[1] ?? null,
        limit + 1,
      ],
    );
    return pageOf(rows.map(alertView), limit, (a) => [a.openedAt, a.id]);
  }

  /** One alert with the workflows it started (their current stage from the projection) and its holds. */
  async get(id: string): Promise<AlertView & { workflows: AlertWorkflowLink[]; holds: StockHold[] }> {
    if (!UUID.test(id)) throw notFound(`alert ${id}`);
    const alert = await this.engine.get(id);
    if (!alert) throw notFound(`alert ${id}`);
    const workflows = await queryRows<{
      workflow_id: string;
      workflow_type: string;
      action: string;
      level: string;
      status: string | null;
      stage: string | null;
    }>(
      this.db,
      `SELECT w.workflow_id, w.workflow_type, w.action, w.level, p.status, p.stage
         FROM alert_workflows w LEFT JOIN workflow_projections p ON p.workflow_id = w.workflow_id
        WHERE w.alert_id = $1 ORDER BY w.created_at, w.workflow_id`,
      [id],
    );
    const holds = await queryRows<Parameters<typeof holdView>[0]>(
      this.db,
      'SELECT * FROM stock_holds WHERE alert_id = $1 ORDER BY created_at, id',
      [id],
    );
    return {
      ...alert,
      workflows: workflows.map((w) => ({
        workflowId: w.workflow_id,
        workflowType: w.workflow_type,
        action: w.action,
        level: w.level,
        status: w.status,
        stage: w.stage,
      })),
      holds: holds.map(holdView),
    };
  }

  /** Idempotent: a second acknowledgement keeps the first one's time and person. */
  async ack(id: string, user: AuthUser): Promise<AlertView> {
    if (!UUID.test(id)) throw notFound(`alert ${id}`);
    const at = new Date(await this.clock.nowMs()).toISOString();
    return this.db.transaction(async (tx) => {
      const [row] = await queryRows<Parameters<typeof alertView>[0]>(
        tx,
        `UPDATE alerts SET acked_at = coalesce(acked_at, $2), acked_by = coalesce(acked_by, $3), updated_at = now()
          WHERE id = $1 RETURNING *`,
        [id, at, user.id],
      );
      if (!row) throw notFound(`alert ${id}`);
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'alert.acked',
        target: { kind: 'alert', id },
        idempotencyKey: `alert:${id}:ack`,
      });
      return alertView(row);
    });
  }

  async holds(q: ListHoldsQuery): Promise<Page<StockHold>> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, 2) as [string, string] | null;
    const rows = await queryRows<Parameters<typeof holdView>[0]>(
      this.db,
      `SELECT * FROM stock_holds
        WHERE ($1::text IS NULL OR sku = $1) AND ($2::text IS NULL OR warehouse = $2)
          AND ($3::text IS NULL OR status = $3)
          AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $6`,
      [
        q.sku ?? null,
        q.warehouse ?? null,
        q.status ?? null,
        after?.[0] ?? null,
        after?.[1] ?? null,
        limit + 1,
      ],
    );
    return pageOf(rows.map(holdView), limit, (h) => [h.createdAt, h.id]);
  }

  /** Ops release a stop-sell hold: the units become sellable again (idempotent). */
  async releaseHold(id: string, user: AuthUser, comment?: string): Promise<StockHold> {
    if (!UUID.test(id)) throw notFound(`hold ${id}`);
    const at = new Date(await this.clock.nowMs()).toISOString();
    const hold = await this.db.transaction(async (tx) => {
      const released = await releaseHold(tx, {
        holdId: id,
        key: 'released',
        at,
        actor: { kind: 'user', id: user.id },
        reason: MANUAL_RELEASE,
      });
      if (!released) throw notFound(`hold ${id}`);
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'stock_hold.released',
        target: { kind: 'stock_hold', id },
        comment,
        data: { sku: released.sku, warehouse: released.warehouse, qty: released.qty },
        idempotencyKey: `hold:${id}:released-audit`,
      });
      if (released.alertId)
        await tx.query(`UPDATE alerts SET decisions = decisions || $2::jsonb WHERE id = $1`, [
          released.alertId,
          JSON.stringify([{ action: 'stop_sell_released', holdId: id, at, by: user.id }]),
        ]);
      return released;
    });
    this.engine.kick();
    return hold;
  }

  async automation(): Promise<{ paused: boolean; updatedBy: string | null; updatedAt: string }> {
    const [row] = await queryRows<{ paused: boolean; updated_by: string | null; updated_at: Date }>(
      this.db,
      'SELECT paused, updated_by, updated_at FROM automation_settings WHERE id',
    );
    return { paused: row!.paused, updatedBy: row!.updated_by, updatedAt: row!.updated_at.toISOString() };
  }

  async setAutomation(paused: boolean, user: AuthUser) {
    const at = new Date(await this.clock.nowMs()).toISOString();
    await this.db.transaction(async (tx) => {
      await tx.query(
        'UPDATE automation_settings SET paused = $1, updated_by = $2, updated_at = now() WHERE id',
        [paused, user.id],
      );
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: paused ? 'automation.paused' : 'automation.resumed',
        target: { kind: 'automation', id: 'global' },
        idempotencyKey: `automation:${paused}:${at}:${user.id}`,
      });
    });
    return this.automation();
  }
}
