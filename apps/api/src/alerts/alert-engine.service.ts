import { createHash } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import {
  type AlertNotifyInput,
  type KitBuildSuggestionInput,
  type PresaleSuggestionInput,
  type RestockRequestInput,
  type TransferRequestInput,
  workflowIds,
  workflowTypes,
} from '@peakstock/contracts';
import {
  type AlertAction,
  type AlertEvaluation,
  type AlertPolicy,
  type AlertReason,
  type AlertState,
  type AlertTransition,
  advanceDemand,
  assessSeries,
  createDemandState,
  decideSupply,
  type DemandState,
  DomainError,
  ErrorCodes,
  evaluateAlert,
  kitAvailability,
  nextAlertState,
  observeCartAdds,
  observeOrderAttempt,
  OPEN_ALERT_LEVELS,
  type OpenAlertLevel,
  type SkuTier,
  type SupplyDecision,
  validationFailed,
  type FieldError,
} from '@peakstock/domain';
import {
  enqueueOutbox,
  type ExpectedArrival,
  expectedArrivals,
  insertAudit,
  MANUAL_RELEASE,
  placeStopSellHold,
  queryRows,
  readLevels,
  releaseHold,
  type StockLevel,
} from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { OutboxService } from '../outbox/outbox.service';
import { GeoService } from '../stock/geo.service';
import { AlertPoliciesService, type PolicyBook } from './alert-policies.service';
import type { ExternalAlertDto } from './alerts.dto';

/** Advisory lock keys: one engine pass at a time across replicas; one evaluation of a SKU at a time. */
const ENGINE_LOCK = 0x5045_414b;
const SKU_LOCK_NAMESPACE = 7301;
/** Passes are debounced: a burst of reservations is folded into one pass per interval. */
const DEBOUNCE_MS = 250;
/** The longest a pass waits for the previous one's length (a slow pass must not silence alerts for long). */
const MAX_SPACING_MS = 2_000;
/** The backstop poll (the sweep itself is per business minute). */
const POLL_MS = 2_000;
const NETWORK = '';
const MINUTE_MS = 60_000;
/** SKUs evaluated per slice of a pass: their reads and their state writes go in a handful of statements. */
const SLICE = 200;
const SUPPLY_ACTIONS: readonly AlertAction[] = [
  'transfer',
  'restock',
  'presale_suggestion',
  'kit_build_suggestion',
];
const AT_FLOOR: readonly AlertReason[] = ['at_stop_sell_floor', 'below_static_critical_threshold'];

/**
 * Where a stop-sell hold belongs for this evaluation: none unless the policy stops selling at this level and
 * the numbers reached the floor; a network alert holds at every warehouse of the SKU. The pass's cheap path
 * (isEventful) and the hold itself (stopSell) ask the same question here.
 */
function stopSellTargets(
  sc: SkuContext,
  w: string,
  level: OpenAlertLevel,
  evaluation: AlertEvaluation,
): string[] {
  if (!(sc.policy.actions[level] ?? []).includes('stop_sell')) return [];
  if (!evaluation.reasons.some((r) => AT_FLOOR.includes(r))) return [];
  return w === NETWORK ? [...sc.levels.keys()] : [w];
}
/** Business minutes a person has to answer a presale or kit-build suggestion before it escalates or expires. */
const SUGGESTION_SLA_MINUTES = 30;

/** The stored state of a series' alert: the state machine's, plus the alert row it mirrors. */
type StoredAlert = AlertState & { id: string };

interface SeriesRow {
  warehouse: string;
  demand: DemandState;
  alert: StoredAlert | null;
}

interface Observations {
  demand: { warehouse: string; region: string | null; accepted: boolean; atMs: number; qty: number }[];
  carts: { atMs: number; qty: number }[];
}

interface PassContext {
  nowMs: number;
  book: PolicyBook;
  paused: boolean;
  lanes: { from: string; to: string; hours: number }[];
  wroteOutbox: boolean;
}

/** State writes of a slice, done in one statement each after its SKUs are evaluated. */
interface BatchWrites {
  series: {
    sku: string;
    warehouse: string;
    demand: DemandState;
    alert: StoredAlert | null;
    velocity: number;
  }[];
  latest: { id: string; latest: unknown }[];
}

interface SkuContext {
  sku: string;
  /** The SKU's stored series (warehouse '' = network), locked for this pass. */
  series: Map<string, SeriesRow>;
  /** Open alerts of the SKU that already made a supply decision. */
  supplyDecided: Set<string>;
  name: string;
  tier: SkuTier;
  policy: AlertPolicy;
  levels: Map<string, StockLevel>;
  held: Map<string, number>;
  saleWindowEndMs: number | null;
  /** Units per minute the running sale events plan for the SKU (their forecast over their length); null if none. */
  plannedRatePerMinute: number | null;
  demandToSaleEnd: number;
  kitBuildable: Map<string, number> | null;
  /** Confirmed arrivals with their ETA (restocks, transfers): supply the stockout estimate counts on. */
  arrivals: ExpectedArrival[];
  /** Hours the fastest supplier of the SKU needs; null when none is known (the restock workflow decides). */
  restockLeadHours: number | null;
}

export interface AlertView {
  id: string;
  sku: string;
  warehouse: string | null;
  status: 'open' | 'resolved';
  level: OpenAlertLevel;
  source: string;
  reason: string | null;
  openedAt: string;
  levelSince: string;
  resolvedAt: string | null;
  ackedAt: string | null;
  ackedBy: string | null;
  triggers: unknown[];
  latest: unknown;
  decisions: unknown[];
}

interface AlertRow {
  id: string;
  sku: string;
  warehouse: string | null;
  status: 'open' | 'resolved';
  level: OpenAlertLevel;
  source: string;
  reason: string | null;
  opened_at: Date;
  level_since: Date;
  resolved_at: Date | null;
  acked_at: Date | null;
  acked_by: string | null;
  triggers: unknown[];
  latest: unknown;
  decisions: unknown[];
}

export const alertView = (r: AlertRow): AlertView => ({
  id: r.id,
  sku: r.sku,
  warehouse: r.warehouse,
  status: r.status,
  level: r.level,
  source: r.source,
  reason: r.reason,
  openedAt: r.opened_at.toISOString(),
  levelSince: r.level_since.toISOString(),
  resolvedAt: r.resolved_at?.toISOString() ?? null,
  ackedAt: r.acked_at?.toISOString() ?? null,
  ackedBy: r.acked_by,
  triggers: r.triggers,
  latest: r.latest,
  decisions: r.decisions,
});

type Assessment = ReturnType<typeof assessSeries>;

/** Minutes until the fastest of these supply options (hours each) can land; null when there is none. */
const fastest = (hours: number[]) => (hours.length ? Math.min(...hours) * 60 : null);

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Demand a warehouse must cover over the policy window when supply is decided: the forecast, or the current
 * rate held for the window when that is higher (a young series' forecast leans on thin history, while the
 * rate that made the alert critical is a measured fact).
 */
function needForecast(a: Assessment | undefined): number {
  if (!a) return 0;
  return Math.max(a.forecast.units, a.forecast.velocityPerMinute * a.forecast.horizonMinutes);
}

/**
 * Turns what happened in the pool into alerts. Runs on every API replica; one pass at a time holds the
 * engine's advisory lock, so replicas take turns instead of doubling work. A pass reads the demand, cart and
 * ledger rows committed since the previous pass (by transaction id, so a late commit is never skipped), folds
 * them into each series' forecast state, evaluates every touched SKU under its own advisory lock, and stores
 * states, alerts and the actions they take in the same transaction as the new cursor: a crash replays the
 * pass, never half of it. Reservations only write rows they write anyway; the engine runs beside them.
 */
@Injectable()
export class AlertEngine implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('AlertEngine');
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private again = false;
  /** Real time before which the next pass waits (see runSoon). */
  private notBefore = 0;
  private stopped = false;

  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly policies: AlertPoliciesService,
    private readonly geo: GeoService,
    private readonly outbox: OutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.alertEngine.autoRun) {
      this.stopped = true;
      return;
    }
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    await this.running;
  }

  /** Asks for a pass soon (coalesced): called after reservations, rejections, signals and receipts commit. */
  kick(): void {
    if (this.stopped || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.runSoon();
    }, DEBOUNCE_MS);
    this.debounce.unref();
  }

  private runSoon(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // Under sustained load a pass starts no sooner than one pass's length after the last ended: the engine takes
    // at most about half of the time it competes for with the reservations (it batches more per pass instead).
    const wait = this.notBefore - Date.now();
    if (wait > 0) {
      if (!this.debounce) {
        this.debounce = setTimeout(() => {
          this.debounce = undefined;
          this.runSoon();
        }, wait);
        this.debounce.unref();
      }
      return;
    }
    const started = Date.now();
    this.running = this.pass()
      .catch((err: unknown) => this.log.warn(`alert pass failed: ${String(err)}`))
      .finally(() => {
        this.running = undefined;
        this.notBefore = Date.now() + Math.min(MAX_SPACING_MS, Date.now() - started);
        if (this.again && !this.stopped) {
          this.again = false;
          this.runSoon();
        }
      });
  }

  /** One pass now (tests and the sweep use it); false when another replica holds the engine. */
  async pass(): Promise<{ ran: boolean; skus: number }> {
    const ctxOut: { wroteOutbox: boolean } = { wroteOutbox: false };
    const result = await this.db.transaction(async (tx) => {
      const [lock] = await queryRows<{ ok: boolean }>(tx, 'SELECT pg_try_advisory_xact_lock($1) AS ok', [
        ENGINE_LOCK,
      ]);
      if (!lock?.ok) return { ran: false, skus: 0 };
      const [cursor] = await queryRows<{ horizon: string; next: string; last_sweep_minute: string }>(
        tx,
        `SELECT horizon::text AS horizon, pg_snapshot_xmin(pg_current_snapshot())::text AS next,
                last_sweep_minute::text AS last_sweep_minute
           FROM alert_engine_cursor WHERE name = 'engine' FOR UPDATE`,
      );
      if (!cursor) return { ran: false, skus: 0 };
      const nowMs = await this.clock.nowMs();
      const minute = Math.floor(nowMs / MINUTE_MS);
      const range = [cursor.horizon, cursor.next];

      const demand = await queryRows<{
        sku: string;
        warehouse: string;
        region: string | null;
        accepted: boolean;
        at_ms: string;
        qty: number;
      }>(
        tx,
        `SELECT d.sku, coalesce(a.warehouse, '') AS warehouse, d.region, d.accepted,
                (floor(extract(epoch FROM d.at) / 60) * 60000)::bigint::text AS at_ms,
                sum(coalesce(a.qty, d.qty))::int AS qty
           FROM demand_events d
           LEFT JOIN orders o ON d.accepted AND o.channel = d.channel AND o.external_id = d.external_id
           LEFT JOIN order_allocations a ON a.order_id = o.id AND a.sku = d.sku
          WHERE d.xid >= $1::xid8 AND d.xid < $2::xid8
          GROUP BY 1, 2, 3, 4, 5 ORDER BY 5`,
        range,
      );
      const carts = await queryRows<{ sku: string; at_ms: string; qty: number }>(
        tx,
        `SELECT sku, (floor(extract(epoch FROM at) / 60) * 60000)::bigint::text AS at_ms, sum(qty)::int AS qty
           FROM demand_signals WHERE kind = 'cart_add' AND xid >= $1::xid8 AND xid < $2::xid8
          GROUP BY 1, 2 ORDER BY 2`,
        range,
      );
      const moved = await queryRows<{ sku: string }>(
        tx,
        'SELECT DISTINCT sku FROM stock_ledger WHERE xid >= $1::xid8 AND xid < $2::xid8',
        range,
      );
      const touched = new Map<string, Observations>();
      const obsOf = (sku: string) => {
        let o = touched.get(sku);
        if (!o) touched.set(sku, (o = { demand: [], carts: [] }));
        return o;
      };
      for (const d of demand)
        obsOf(d.sku).demand.push({
          warehouse: d.warehouse,
          region: d.region,
          accepted: d.accepted,
          atMs: Number(d.at_ms),
          qty: d.qty,
        });
      for (const c of carts) obsOf(c.sku).carts.push({ atMs: Number(c.at_ms), qty: c.qty });
      for (const m of moved) obsOf(m.sku);
      // Each business minute: every SKU still moving, alerting or held, so forecasts roll on without orders.
      if (minute > Number(cursor.last_sweep_minute)) {
        const sweep = await queryRows<{ sku: string }>(
          tx,
          `SELECT sku FROM alert_series WHERE velocity > 0 OR alert->>'status' = 'open'
           UNION SELECT sku FROM stock_holds WHERE status = 'active'`,
        );
        for (const s of sweep) obsOf(s.sku);
      }

      const ctx = await this.passContext(tx, nowMs);
      const skus = [...touched.keys()].sort();
      let evaluated = 0;
      // In slices: each loads its SKUs' whole picture in a few queries and writes their states in one statement.
      for (let i = 0; i < skus.length; i += SLICE) {
        const slice = skus.slice(i, i + SLICE);
        await this.lockSkus(tx, slice);
        const contexts = await this.loadContexts(tx, ctx, slice);
        const batch: BatchWrites = { series: [], latest: [] };
        for (const sku of slice) {
          const sc = contexts.get(sku);
          if (!sc) continue;
          try {
            await this.evaluateSku(tx, ctx, sc, touched.get(sku)!, batch);
            evaluated++;
          } catch (err) {
            // One SKU's failure must not stop the alerts of every other SKU; it is retried at the next sweep.
            this.log.error(`alert evaluation of ${sku} failed: ${String(err)}`);
          }
        }
        await this.writeBatch(tx, batch);
      }
      await tx.query(
        `UPDATE alert_engine_cursor SET horizon = $1::xid8, last_sweep_minute = greatest(last_sweep_minute, $2),
                updated_at = now() WHERE name = 'engine'`,
        [cursor.next, minute],
      );
      ctxOut.wroteOutbox = ctx.wroteOutbox;
      return { ran: true, skus: evaluated };
    });
    if (ctxOut.wroteOutbox) this.outbox.kick();
    return result;
  }

  private async passContext(tx: EntityManager, nowMs: number): Promise<PassContext> {
    const [automation] = await queryRows<{ paused: boolean }>(
      tx,
      'SELECT paused FROM automation_settings WHERE id',
    );
    const lanes = await queryRows<{ from_warehouse: string; to_warehouse: string; hours: string }>(
      tx,
      'SELECT from_warehouse, to_warehouse, hours FROM transit_lanes',
    );
    return {
      nowMs,
      book: await this.policies.book(tx),
      paused: automation?.paused ?? false,
      lanes: lanes.map((l) => ({ from: l.from_warehouse, to: l.to_warehouse, hours: Number(l.hours) })),
      wroteOutbox: false,
    };
  }

  /** Lanes are stored per direction or once for both: the fastest either way. */
  private laneHours(ctx: PassContext, from: string, to: string): number | null {
    let best: number | null = null;
    for (const l of ctx.lanes)
      if ((l.from === from && l.to === to) || (l.from === to && l.to === from))
        best = best === null ? l.hours : Math.min(best, l.hours);
    return best;
  }

  /** Everything the evaluation of these SKUs reads, in one query per kind of data. */
  private async loadContexts(
    tx: EntityManager,
    ctx: PassContext,
    skus: string[],
  ): Promise<Map<string, SkuContext>> {
    const out = new Map<string, SkuContext>();
    if (!skus.length) return out;
    const rows = await queryRows<{ code: string; name: string; tier: SkuTier; is_kit: boolean }>(
      tx,
      'SELECT code, name, tier, is_kit FROM skus WHERE code = ANY($1)',
      [skus],
    );
    const levels = await readLevels(tx, { skus });
    const holds = await queryRows<{ sku: string; warehouse: string; qty: number }>(
      tx,
      `SELECT sku, warehouse, sum(qty)::int AS qty FROM stock_holds WHERE sku = ANY($1) AND status = 'active'
        GROUP BY 1, 2`,
      [skus],
    );
    // The sale window: the latest end among sale events with the SKU and live sessions locking it, now on.
    const windows = await queryRows<{ sku: string; ends_at: Date | null; planned_rate: number | null }>(
      tx,
      `SELECT sku, max(ends_at) AS ends_at, sum(planned_rate)::float8 AS planned_rate FROM (
         SELECT s.sku, e.ends_at,
                s.forecast_units / greatest(1, extract(epoch FROM e.ends_at - e.starts_at) / 60) AS planned_rate
           FROM sale_events e JOIN sale_event_skus s ON s.sale_event = e.code
          WHERE s.sku = ANY($1) AND e.starts_at <= $2 AND e.ends_at > $2
         UNION ALL
         SELECT l.sku, ls.ends_at, NULL FROM live_sessions ls JOIN live_session_locks l ON l.session_id = ls.id
          WHERE l.sku = ANY($1) AND ls.status = 'active' AND ls.starts_at <= $2 AND ls.ends_at > $2) w
        GROUP BY sku`,
      [skus, iso(ctx.nowMs)],
    );
    const kits = rows.filter((r) => r.is_kit).map((r) => r.code);
    const parts = kits.length
      ? await queryRows<{ kit_sku: string; component_sku: string; qty: number }>(
          tx,
          'SELECT kit_sku, component_sku, qty FROM kit_components WHERE kit_sku = ANY($1)',
          [kits],
        )
      : [];
    const partLevels = parts.length
      ? await readLevels(tx, { skus: [...new Set(parts.map((p) => p.component_sku))] })
      : [];
    const arrivals = await expectedArrivals(tx, skus);
    const series = await queryRows<SeriesRow & { sku: string }>(
      tx,
      'SELECT sku, warehouse, demand, alert FROM alert_series WHERE sku = ANY($1) ORDER BY sku, warehouse FOR UPDATE',
      [skus],
    );
    const decided = await queryRows<{ id: string }>(
      tx,
      `SELECT id FROM alerts a WHERE sku = ANY($1) AND status = 'open'
          AND EXISTS (SELECT 1 FROM jsonb_array_elements(a.decisions) d WHERE d->>'action' = ANY($2))`,
      [skus, SUPPLY_ACTIONS],
    );
    const supplyDecided = new Set(decided.map((d) => d.id));
    // The fastest factory that makes each SKU: whether a restock can land inside the sale window.
    const leads = await queryRows<{ sku: string; hours: string }>(
      tx,
      `SELECT ss.sku, min(s.lead_time_hours)::text AS hours FROM supplier_skus ss JOIN suppliers s ON s.code = ss.supplier
        WHERE ss.sku = ANY($1) GROUP BY ss.sku`,
      [skus],
    );
    for (const row of rows) {
      const sku = row.code;
      const window = windows.find((w) => w.sku === sku);
      let kitBuildable: Map<string, number> | null = null;
      if (row.is_kit) {
        const mine = parts.filter((p) => p.kit_sku === sku);
        kitBuildable = new Map();
        const places = new Set(
          partLevels.filter((l) => mine.some((p) => p.component_sku === l.sku)).map((l) => l.warehouse),
        );
        const bom = mine.map((p) => ({ sku: p.component_sku, qty: p.qty }));
        for (const w of places) {
          const here = Object.fromEntries(
            partLevels.filter((l) => l.warehouse === w).map((l) => [l.sku, l.available]),
          );
          kitBuildable.set(w, kitAvailability(bom, here, 0).buildable);
        }
      }
      out.set(sku, {
        sku,
        series: new Map(series.filter((r) => r.sku === sku).map((r) => [r.warehouse, r])),
        supplyDecided,
        name: row.name,
        tier: row.tier,
        policy: ctx.book.forSku(sku, row.tier),
        levels: new Map(levels.filter((l) => l.sku === sku).map((l) => [l.warehouse, l])),
        held: new Map(holds.filter((h) => h.sku === sku).map((h) => [h.warehouse, h.qty])),
        saleWindowEndMs: window?.ends_at ? window.ends_at.getTime() : null,
        plannedRatePerMinute: window?.planned_rate ?? null,
        demandToSaleEnd: 0,
        kitBuildable,
        arrivals: arrivals.filter((a) => a.sku === sku),
        restockLeadHours: ((h) => (h === undefined ? null : Number(h)))(
          leads.find((l) => l.sku === sku)?.hours,
        ),
      });
    }
    return out;
  }

  /** Per-SKU advisory locks, in SKU order (an external alert takes one of them). */
  private async lockSkus(tx: EntityManager, skus: string[]): Promise<void> {
    await tx.query(
      `SELECT pg_advisory_xact_lock($1, hashtext(s)) FROM (SELECT s FROM unnest($2::text[]) s ORDER BY s) t`,
      [SKU_LOCK_NAMESPACE, skus],
    );
  }

  /** The slice's series states and open alerts' latest numbers, one statement each (in chunks). */
  private async writeBatch(tx: EntityManager, batch: BatchWrites): Promise<void> {
    for (let i = 0; i < batch.series.length; i += SLICE) {
      const rows = batch.series.slice(i, i + SLICE);
      await tx.query(
        `INSERT INTO alert_series (sku, warehouse, demand, alert, velocity, evaluated_at)
         SELECT sku, warehouse, demand, alert, velocity, now()
           FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::float8[])
                AS u(sku, warehouse, demand, alert, velocity)
         ON CONFLICT (sku, warehouse) DO UPDATE SET demand = EXCLUDED.demand, alert = EXCLUDED.alert,
           velocity = EXCLUDED.velocity, evaluated_at = now()`,
        [
          rows.map((r) => r.sku),
          rows.map((r) => r.warehouse),
          rows.map((r) => JSON.stringify(r.demand)),
          rows.map((r) => (r.alert ? JSON.stringify(r.alert) : null)),
          rows.map((r) => (Number.isFinite(r.velocity) ? r.velocity : 0)),
        ],
      );
    }
    for (let i = 0; i < batch.latest.length; i += SLICE) {
      const rows = batch.latest.slice(i, i + SLICE);
      await tx.query(
        `UPDATE alerts a SET latest = u.latest, updated_at = now()
           FROM unnest($1::uuid[], $2::jsonb[]) AS u(id, latest) WHERE a.id = u.id`,
        [rows.map((r) => r.id), rows.map((r) => JSON.stringify(r.latest))],
      );
    }
  }

  /** Rejected attempts (and presale lines) have no warehouse: the one nearest the buyer would have served them. */
  private async nearestWarehouse(region: string | null, warehouses: string[]): Promise<string | null> {
    if (!warehouses.length) return null;
    if (!region) return [...warehouses].sort()[0]!;
    const d = await this.geo.distances(region, warehouses);
    return [...warehouses].sort((a, b) => d.get(a)! - d.get(b)! || (a < b ? -1 : 1))[0]!;
  }

  private async evaluateSku(
    tx: EntityManager,
    ctx: PassContext,
    sc: SkuContext,
    obs: Observations,
    batch: BatchWrites,
  ): Promise<void> {
    const series = sc.series;
    const warehouses = [
      ...new Set([...sc.levels.keys(), ...[...series.keys()].filter((w) => w !== NETWORK)]),
    ].sort();
    const states = new Map<string, DemandState>();
    const stateOf = (w: string) => {
      let s = states.get(w);
      if (!s) states.set(w, (s = series.get(w)?.demand ?? createDemandState()));
      return s;
    };
    for (const w of [...warehouses, NETWORK]) stateOf(w);
    // Fold in time order: the network series sees every attempt, a warehouse series those it served or would have.
    for (const d of obs.demand) {
      const w = d.warehouse || (await this.nearestWarehouse(d.region, warehouses));
      const o = { atMs: d.atMs, units: d.qty, accepted: d.accepted };
      states.set(NETWORK, observeOrderAttempt(stateOf(NETWORK), o));
      if (w) states.set(w, observeOrderAttempt(stateOf(w), o));
    }
    for (const c of obs.carts)
      states.set(NETWORK, observeCartAdds(stateOf(NETWORK), { atMs: c.atMs, units: c.qty }));

    const assessments = this.assessAll(ctx, sc, warehouses, stateOf);
    const steps = [...warehouses, NETWORK].map((w) => {
      const a = assessments.get(w)!;
      const prev = series.get(w)?.alert ?? null;
      const transition = nextAlertState(prev, a.evaluation, sc.policy, ctx.nowMs);
      return {
        w,
        a,
        prev,
        transition,
        supply: this.pendingSupply(ctx, sc, w, prev, transition, assessments, warehouses),
      };
    });
    // Most evaluations change nothing but numbers: those go into the slice's batch. A SKU whose alerts open,
    // escalate, resolve, decide supply or hold stock writes those now, under a savepoint of its own.
    const eventful = steps.some((st) => this.isEventful(sc, st.w, st.transition, st.a.evaluation, st.supply));
    const stored: (StoredAlert | null)[] = [];
    if (eventful) {
      await tx.query('SAVEPOINT alert_sku');
      try {
        for (const st of steps)
          stored.push(
            await this.applyTransition(tx, ctx, sc, st.w, st.prev, st.transition, st.a.evaluation, {
              source: 'engine',
              forecastWindowMinutes: st.a.forecast.horizonMinutes,
              supply: st.supply,
            }),
          );
        await tx.query('RELEASE SAVEPOINT alert_sku');
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT alert_sku');
        throw err;
      }
    } else {
      for (const st of steps) {
        const next = st.transition.alert;
        const id = st.prev?.id;
        const keep: StoredAlert | null = next && id ? { ...next, id } : null;
        if (keep?.status === 'open')
          batch.latest.push({ id: keep.id, latest: this.latestOf(ctx, st.a.evaluation) });
        stored.push(keep);
      }
    }
    steps.forEach((st, i) =>
      batch.series.push({
        sku: sc.sku,
        warehouse: st.w,
        demand: advanceDemand(stateOf(st.w), ctx.nowMs),
        alert: stored[i] ?? null,
        velocity: st.a.forecast.velocityPerMinute,
      }),
    );
  }

  private latestOf(ctx: PassContext, evaluation: AlertEvaluation) {
    return {
      level: evaluation.level,
      reasons: evaluation.reasons,
      numbers: evaluation.numbers,
      at: iso(ctx.nowMs),
    };
  }

  /**
   * The supply decisions this evaluation would take (pure): when a level is reached, or while an open alert has
   * not decided any yet (a need can appear after the level did: the stock runs down at the same level).
   */
  private pendingSupply(
    ctx: PassContext,
    sc: SkuContext,
    w: string,
    prev: StoredAlert | null,
    transition: AlertTransition,
    assessments: Map<string, Assessment>,
    warehouses: string[],
  ): { level: OpenAlertLevel; decisions: SupplyDecision[] } | null {
    const next = transition.alert;
    if (!next || next.status !== 'open') return null;
    const reached = transition.action === 'open' || transition.action === 'escalate';
    if (!reached && prev && sc.supplyDecided.has(prev.id)) return null;
    const actions = reached ? transition.actions : (sc.policy.actions[next.level] ?? []);
    if (!actions.some((a) => SUPPLY_ACTIONS.includes(a))) return null;
    const decisions = this.planSupply(ctx, sc, w, actions, assessments, warehouses);
    return decisions.length ? { level: next.level, decisions } : null;
  }

  private isEventful(
    sc: SkuContext,
    w: string,
    transition: AlertTransition,
    evaluation: AlertEvaluation,
    supply: { decisions: SupplyDecision[] } | null,
  ): boolean {
    if (transition.action === 'open' || transition.action === 'escalate' || transition.action === 'resolve')
      return true;
    if (supply) return true;
    const next = transition.alert;
    if (!next || next.status !== 'open') return false;
    return stopSellTargets(sc, w, next.level, evaluation).some(
      (t) => (sc.levels.get(t)?.available ?? 0) > 0 && !(sc.held.get(t) ?? 0),
    );
  }

  /** Forecast and evaluation of every warehouse series of the SKU and of its network series. */
  private assessAll(
    ctx: PassContext,
    sc: SkuContext,
    warehouses: string[],
    stateOf: (w: string) => DemandState,
  ): Map<string, Assessment> {
    const assessments = new Map<string, Assessment>();
    const supplyAvailable = (w: string) => {
      const l = sc.levels.get(w);
      return (l ? l.available : 0) + (sc.held.get(w) ?? 0);
    };
    const networkSupply = warehouses.reduce((s, w) => s + supplyAvailable(w), 0);
    // Transfers between the SKU's own warehouses move supply around the network; only the rest adds to it. An
    // arrival past its ETA is late: it no longer counts until it is received, so a late transfer or purchase
    // order raises the alert it was keeping quiet.
    const inboundAt = (w: string) =>
      sc.arrivals
        .filter((a) => (w === NETWORK ? a.kind !== 'transfer' : a.warehouse === w))
        .map((a) => ({ qty: a.outstanding, etaMs: Date.parse(a.eta) }))
        .filter((a) => a.etaMs >= ctx.nowMs);
    for (const w of warehouses) {
      const others = warehouses.filter((x) => x !== w && (sc.levels.get(x)?.available ?? 0) > 0);
      const lanes = others.map((x) => this.laneHours(ctx, x, w)).filter((h): h is number => h !== null);
      assessments.set(
        w,
        assessSeries(stateOf(w), {
          nowMs: ctx.nowMs,
          available: supplyAvailable(w),
          policy: sc.policy,
          saleWindowEndMs: sc.saleWindowEndMs,
          inbound: inboundAt(w),
          fastestSupplyMinutes: fastest([
            ...lanes,
            ...(sc.restockLeadHours === null ? [] : [sc.restockLeadHours]),
          ]),
          // The plan is network-wide: a warehouse expects its share of it, by the stock it holds.
          priorRatePerMinute:
            sc.plannedRatePerMinute === null || networkSupply <= 0
              ? null
              : (sc.plannedRatePerMinute * supplyAvailable(w)) / networkSupply,
        }),
      );
    }
    assessments.set(
      NETWORK,
      assessSeries(stateOf(NETWORK), {
        nowMs: ctx.nowMs,
        available: networkSupply,
        policy: sc.policy,
        saleWindowEndMs: sc.saleWindowEndMs,
        inbound: inboundAt(NETWORK),
        fastestSupplyMinutes: fastest(sc.restockLeadHours === null ? [] : [sc.restockLeadHours]),
        priorRatePerMinute: sc.plannedRatePerMinute,
      }),
    );
    if (sc.saleWindowEndMs !== null) {
      const f = assessments.get(NETWORK)!.forecast;
      const minutesLeft = Math.max(0, Math.ceil((sc.saleWindowEndMs - ctx.nowMs) / MINUTE_MS));
      // The window forecast's per-minute rate carried to the end of the sale: the demand still to come.
      const perMinute = f.horizonMinutes > 0 ? f.units / f.horizonMinutes : 0;
      sc.demandToSaleEnd = perMinute * minutesLeft;
    }

    return assessments;
  }

  /**
   * Stores a transition of one series' alert and takes the actions of the level it reached: notify, supply
   * decisions (started through the outbox unless automation is paused), stop-sell at the floor; a resolved
   * alert releases its holds. Returns the state to keep for the series.
   */
  private async applyTransition(
    tx: EntityManager,
    ctx: PassContext,
    sc: SkuContext,
    w: string,
    prev: StoredAlert | null,
    transition: AlertTransition,
    evaluation: AlertEvaluation,
    extra: {
      source: string;
      forecastWindowMinutes: number;
      /** Supply decisions planned for this evaluation (pendingSupply), taken once the alert row exists. */
      supply: { level: OpenAlertLevel; decisions: SupplyDecision[] } | null;
      reasonText?: string;
    },
  ): Promise<StoredAlert | null> {
    const at = iso(ctx.nowMs);
    const warehouse = w === NETWORK ? null : w;
    const next = transition.alert;
    if (!next) return null;
    let id = prev && prev.status === 'open' ? prev.id : null;
    const latest = this.latestOf(ctx, evaluation);

    if (transition.action === 'open') {
      const [row] = await queryRows<{ id: string }>(
        tx,
        `INSERT INTO alerts (sku, warehouse, status, level, source, reason, opened_at, level_since, triggers, latest)
         VALUES ($1, $2, 'open', $3, $4, $5, $6, $6, $7, $8) RETURNING id`,
        [
          sc.sku,
          warehouse,
          next.level,
          extra.source,
          extra.reasonText ?? evaluation.reasons.join(', '),
          at,
          JSON.stringify(next.triggers),
          JSON.stringify(latest),
        ],
      );
      id = row!.id;
    } else if (!id) {
      // Resolved (kept for the cool-down) or nothing: the stored state is all there is.
      return prev ? { ...next, id: prev.id } : null;
    } else if (transition.action === 'escalate') {
      await tx.query(
        `UPDATE alerts SET level = $2, level_since = $3, triggers = $4, latest = $5, updated_at = now() WHERE id = $1`,
        [id, next.level, at, JSON.stringify(next.triggers), JSON.stringify(latest)],
      );
    } else if (transition.action === 'resolve') {
      await tx.query(
        `UPDATE alerts SET status = 'resolved', resolved_at = $2, latest = $3, updated_at = now() WHERE id = $1`,
        [id, at, JSON.stringify(latest)],
      );
    } else {
      await tx.query('UPDATE alerts SET latest = $2, updated_at = now() WHERE id = $1', [
        id,
        JSON.stringify(latest),
      ]);
    }
    const stored: StoredAlert = { ...next, id };

    if (transition.action === 'open' || transition.action === 'escalate' || transition.action === 'resolve') {
      await insertAudit(tx, {
        at,
        actor: { kind: 'alert', id },
        action: `alert.${transition.action === 'escalate' ? 'escalated' : transition.action === 'open' ? 'opened' : 'resolved'}`,
        target: { kind: 'alert', id },
        comment: transition.note,
        data: {
          sku: sc.sku,
          warehouse,
          level: next.level,
          reasons: evaluation.reasons,
          numbers: evaluation.numbers,
        },
        idempotencyKey: `alert:${id}:${transition.action}:${next.level}`,
      });
    }
    const decisions: Record<string, unknown>[] = [];
    const reached = transition.action === 'open' || transition.action === 'escalate';
    if (reached && transition.actions.includes('notify'))
      await this.notify(tx, ctx, sc, id, next.level, warehouse, evaluation, extra.forecastWindowMinutes);
    if (stored.status === 'open' && extra.supply)
      decisions.push(
        ...(await this.startSupply(tx, ctx, sc, id, extra.supply.level, extra.supply.decisions)),
      );
    if (transition.action === 'resolve') {
      const allActions = OPEN_ALERT_LEVELS.flatMap((l) => sc.policy.actions[l] ?? []);
      if (allActions.includes('notify'))
        await this.notify(
          tx,
          ctx,
          sc,
          id,
          'resolved',
          warehouse,
          evaluation,
          extra.forecastWindowMinutes,
          next.level,
        );
      const holds = await queryRows<{ id: string }>(
        tx,
        `SELECT id FROM stock_holds WHERE alert_id = $1 AND status = 'active'`,
        [id],
      );
      for (const h of holds) {
        await releaseHold(tx, {
          holdId: h.id,
          key: 'recovered',
          at,
          actor: { kind: 'alert', id },
          reason: 'stock recovered',
        });
        decisions.push({ action: 'stop_sell_released', holdId: h.id, at, reason: 'stock recovered' });
      }
    }
    if (stored.status === 'open')
      decisions.push(...(await this.stopSell(tx, sc, id, stored, w, evaluation, at)));
    if (decisions.length)
      await tx.query(
        `UPDATE alerts SET decisions = decisions || $2::jsonb, updated_at = now() WHERE id = $1`,
        [id, JSON.stringify(decisions)],
      );
    return stored;
  }

  private async notify(
    tx: EntityManager,
    ctx: PassContext,
    sc: SkuContext,
    alertId: string,
    level: OpenAlertLevel | 'resolved',
    warehouse: string | null,
    evaluation: AlertEvaluation,
    windowMinutes: number,
    resolvedFrom?: OpenAlertLevel,
  ): Promise<void> {
    const n = evaluation.numbers;
    const input: AlertNotifyInput = {
      alertId,
      notification: {
        key: `alert:${alertId}:${level}`,
        kind: `alert.${level}`,
        data: {
          alertId,
          sku: sc.sku,
          skuName: sc.name,
          warehouse: warehouse ?? 'network',
          available: n.available,
          minutesToStockout: n.minutesToStockout,
          forecastQty: Math.round(n.forecastUnits),
          forecastWindowMinutes: windowMinutes,
          raisedAt: iso(ctx.nowMs),
          ...(resolvedFrom ? { level: resolvedFrom, resolvedAt: iso(ctx.nowMs) } : {}),
        },
        scope: { ...(warehouse ? { warehouse } : {}), tier: sc.tier },
      },
    };
    await enqueueOutbox(tx, {
      kind: 'start',
      workflowType: workflowTypes.alertNotify,
      workflowId: workflowIds.alertNotify(alertId, level),
      args: [input],
    });
    ctx.wroteOutbox = true;
  }

  /** Supply decisions for a level just reached; started through the outbox with ids keyed on the need. */
  /** What the supply planner decides for this series at these actions (pure). */
  private planSupply(
    ctx: PassContext,
    sc: SkuContext,
    w: string,
    actions: readonly AlertAction[],
    assessments: Map<string, Assessment>,
    warehouses: string[],
  ): SupplyDecision[] {
    const k = sc.policy.type === 'dynamic' ? sc.policy.k : 1;
    return decideSupply({
      sku: sc.sku,
      warehouse: w === NETWORK ? null : w,
      nowMs: ctx.nowMs,
      k,
      saleWindowEndMs: sc.saleWindowEndMs,
      demandToSaleEndUnits: sc.demandToSaleEnd,
      warehouses: warehouses.map((x) => ({
        warehouse: x,
        available: (sc.levels.get(x)?.available ?? 0) + (sc.held.get(x) ?? 0),
        forecastUnits: needForecast(assessments.get(x)),
        transitHoursToTarget: w === NETWORK || x === w ? null : this.laneHours(ctx, x, w),
      })),
      restockLeadHours: sc.restockLeadHours,
      kitBuildable:
        sc.kitBuildable === null
          ? null
          : w === NETWORK
            ? [...sc.kitBuildable.values()].reduce((s, n) => s + n, 0)
            : (sc.kitBuildable.get(w) ?? 0),
      allowed: actions,
    });
  }

  /** Starts what was decided (through the outbox, ids keyed on the need) and records it on the alert and audit. */
  private async startSupply(
    tx: EntityManager,
    ctx: PassContext,
    sc: SkuContext,
    alertId: string,
    level: OpenAlertLevel,
    decided: SupplyDecision[],
  ): Promise<Record<string, unknown>[]> {
    const at = iso(ctx.nowMs);
    const out: Record<string, unknown>[] = [];
    for (const d of decided) {
      const record: Record<string, unknown> = { ...d, level, at };
      const started = await this.start(tx, ctx, sc, alertId, level, d);
      if (started === 'paused') record.skipped = 'automation paused';
      else if (started) record.workflowId = started;
      out.push(record);
      await insertAudit(tx, {
        at,
        actor: { kind: 'alert', id: alertId },
        action: `alert.decided.${d.action}`,
        target: { kind: 'alert', id: alertId },
        comment: started === 'paused' ? 'automation paused: not started' : undefined,
        data: record,
        idempotencyKey: `alert:${alertId}:${level}:decision:${d.action}`,
      });
    }
    return out;
  }

  private async start(
    tx: EntityManager,
    ctx: PassContext,
    sc: SkuContext,
    alertId: string,
    level: OpenAlertLevel,
    d: SupplyDecision,
  ): Promise<string | 'paused'> {
    if (ctx.paused) return 'paused';
    const clock = await this.clock.current();
    const startedBy = { kind: 'alert' as const, id: alertId };
    const reason = `${level} alert on ${sc.sku}`;
    let workflowId: string;
    let workflowType: string;
    let input: RestockRequestInput | TransferRequestInput | PresaleSuggestionInput | KitBuildSuggestionInput;
    if (d.action === 'presale_suggestion') {
      workflowId = workflowIds.presaleSuggestion(sc.sku);
      workflowType = workflowTypes.presaleSuggestion;
      input = {
        sku: sc.sku,
        alertId,
        expectedShortfall: d.expectedShortfall,
        earliestSupplyAt: d.earliestSupplyAt,
        maxUnits: d.maxUnits,
        shipBy: d.shipBy,
        clock,
        startedBy,
        slaMinutes: SUGGESTION_SLA_MINUTES,
      };
    } else if (d.action === 'kit_build_suggestion') {
      workflowId = workflowIds.kitBuildSuggestion(sc.sku, d.warehouse);
      workflowType = workflowTypes.kitBuildSuggestion;
      input = {
        kitSku: sc.sku,
        warehouse: d.warehouse,
        qty: d.qty,
        need: d.need,
        buildable: d.buildable,
        alertId,
        clock,
        startedBy,
        slaMinutes: SUGGESTION_SLA_MINUTES,
      };
    } else if (d.action === 'transfer') {
      workflowId = workflowIds.transfer(sc.sku, d.toWarehouse);
      workflowType = workflowTypes.transfer;
      input = {
        schemaVersion: 1,
        sku: sc.sku,
        toWarehouse: d.toWarehouse,
        fromWarehouse: d.fromWarehouse,
        qty: d.qty,
        reason,
        clock,
        startedBy,
        numbers: { ...d },
      };
    } else {
      workflowId = workflowIds.restock(sc.sku, d.warehouse);
      workflowType = workflowTypes.restock;
      input = {
        schemaVersion: 1,
        sku: sc.sku,
        warehouse: d.warehouse,
        need: d.need,
        urgency: level === 'critical' ? 'urgent' : 'normal',
        reason,
        clock,
        startedBy,
        numbers: { ...d },
      };
    }
    await enqueueOutbox(tx, {
      kind: 'start',
      workflowType,
      workflowId,
      args: [input],
    });
    await tx.query(
      `INSERT INTO alert_workflows (alert_id, workflow_id, workflow_type, action, level)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [alertId, workflowId, workflowType, d.action, level],
    );
    ctx.wroteOutbox = true;
    return workflowId;
  }

  /**
   * At the policy's floor, the remaining sellable units go on hold while a human decides (only where the
   * level's actions include stop-sell; live-session locks are never touched). A network alert holds the last
   * units of every warehouse.
   */
  private async stopSell(
    tx: EntityManager,
    sc: SkuContext,
    alertId: string,
    alert: StoredAlert,
    w: string,
    evaluation: AlertEvaluation,
    at: string,
  ): Promise<Record<string, unknown>[]> {
    const targets = stopSellTargets(sc, w, alert.level, evaluation);
    if (!targets.length) return [];
    const out: Record<string, unknown>[] = [];
    // Once per alert and warehouse; and a hold that ops released while this alert was open stays released
    // (whichever alert of the SKU, warehouse or network, placed it).
    const before = await queryRows<{ warehouse: string }>(
      tx,
      `SELECT DISTINCT warehouse FROM stock_holds
        WHERE alert_id = $1 OR (sku = $2 AND release_reason = $3 AND released_at >= $4)`,
      [alertId, sc.sku, MANUAL_RELEASE, iso(alert.openedAtMs)],
    );
    const heldBefore = new Set(before.map((b) => b.warehouse));
    for (const target of targets) {
      const level = sc.levels.get(target);
      if (!level || level.available <= 0 || (sc.held.get(target) ?? 0) > 0 || heldBefore.has(target))
        continue;
      const { hold, created } = await placeStopSellHold(tx, {
        warehouse: target,
        sku: sc.sku,
        qty: level.available,
        alertId,
        at,
        actor: alertId,
      });
      if (!created || !hold) continue;
      sc.held.set(target, hold.qty);
      out.push({ action: 'stop_sell', holdId: hold.id, warehouse: target, qty: hold.qty, at });
      await insertAudit(tx, {
        at,
        actor: { kind: 'alert', id: alertId },
        action: 'alert.stop_sell',
        target: { kind: 'stock_hold', id: hold.id },
        data: { sku: sc.sku, warehouse: target, qty: hold.qty },
        idempotencyKey: `hold:${hold.id}:placed`,
      });
    }
    return out;
  }

  /**
   * An alert from another system (ERP, WMS): opens or escalates the series' alert exactly as an internal
   * evaluation at that level would, with the same actions. The idempotency key answers a retry with the alert
   * it reached the first time.
   */
  async raiseExternal(
    dto: ExternalAlertDto,
    user: AuthUser,
  ): Promise<{ alert: AlertView; created: boolean }> {
    const hash = createHash('sha256').update(JSON.stringify(dto)).digest('hex');
    const prior = await this.byKey(dto.idempotencyKey, hash);
    if (prior) return { alert: prior, created: false };
    const errors: FieldError[] = [];
    const [sku] = await queryRows<{ code: string }>(this.db, 'SELECT code FROM skus WHERE code = $1', [
      dto.sku,
    ]);
    if (!sku) errors.push({ field: 'sku', reason: 'unknown SKU' });
    if (dto.warehouse) {
      const [wh] = await queryRows<{ code: string }>(this.db, 'SELECT code FROM warehouses WHERE code = $1', [
        dto.warehouse,
      ]);
      if (!wh) errors.push({ field: 'warehouse', reason: 'unknown warehouse' });
    }
    if (errors.length) throw validationFailed(errors);
    const nowMs = await this.clock.nowMs();
    let wroteOutbox = false;
    const alertId = await this.db.transaction(async (tx) => {
      await this.lockSkus(tx, [dto.sku]);
      const again = await this.byKey(dto.idempotencyKey, hash, tx);
      if (again) return again.id;
      const ctx = await this.passContext(tx, nowMs);
      const sc = (await this.loadContexts(tx, ctx, [dto.sku])).get(dto.sku)!;
      const series = sc.series;
      const w = dto.warehouse ?? NETWORK;
      const row = series.get(w);
      const own = [...sc.levels.values()]
        .filter((l) => w === NETWORK || l.warehouse === w)
        .reduce((s, l) => s + l.available + (sc.held.get(l.warehouse) ?? 0), 0);
      const available = dto.available ?? own;
      // The numbers of the latest internal evaluation where there is one, with the reported availability.
      const base =
        row?.alert?.latestNumbers ?? evaluateAlert({ nowMs, policy: sc.policy, available }).numbers;
      const evaluation: AlertEvaluation = {
        level: dto.level,
        reasons: ['external_report' as AlertReason],
        numbers: { ...base, available },
      };
      const prev = row?.alert ?? null;
      const transition = nextAlertState(prev, evaluation, sc.policy, nowMs);
      const warehouses = [
        ...new Set([...sc.levels.keys(), ...[...series.keys()].filter((x) => x !== NETWORK)]),
      ].sort();
      // The same forecasts an internal evaluation would use, so supply is decided the same way.
      const assessments = this.assessAll(
        ctx,
        sc,
        warehouses,
        (x) => series.get(x)?.demand ?? createDemandState(),
      );
      const stored = await this.applyTransition(tx, ctx, sc, w, prev, transition, evaluation, {
        source: `external:${dto.source}`,
        forecastWindowMinutes: sc.policy.type === 'dynamic' ? sc.policy.windowMinutes : 30,
        supply: this.pendingSupply(ctx, sc, w, prev, transition, assessments, warehouses),
        reasonText: dto.reason,
      });
      wroteOutbox = ctx.wroteOutbox;
      const state = row?.demand ?? createDemandState();
      await tx.query(
        `INSERT INTO alert_series (sku, warehouse, demand, alert) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sku, warehouse) DO UPDATE SET alert = $4`,
        [dto.sku, w, JSON.stringify(state), stored ? JSON.stringify(stored) : null],
      );
      // In the cool-down after a resolved alert nothing opens; the report joins the resolved alert.
      const target = stored?.id ?? prev?.id;
      if (!target)
        throw new DomainError(ErrorCodes.INVALID_STATE, 'the alert could not be opened (no series state)');
      await tx.query(
        'INSERT INTO external_alert_keys (key, alert_id, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [dto.idempotencyKey, target, hash],
      );
      await insertAudit(tx, {
        at: iso(nowMs),
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'alert.external',
        target: { kind: 'alert', id: target },
        comment: dto.reason,
        data: { ...dto },
        idempotencyKey: `external-alert:${dto.idempotencyKey}`,
      });
      return target;
    });
    if (wroteOutbox) this.outbox.kick();
    return { alert: (await this.get(alertId))!, created: true };
  }

  private async byKey(
    key: string,
    hash: string,
    db: { query(sql: string, p?: unknown[]): Promise<unknown> } = this.db,
  ): Promise<AlertView | null> {
    const [row] = await queryRows<{ alert_id: string; request_hash: string }>(
      db,
      'SELECT alert_id, request_hash FROM external_alert_keys WHERE key = $1',
      [key],
    );
    if (!row) return null;
    if (row.request_hash !== hash)
      throw new DomainError(
        ErrorCodes.IDEMPOTENCY_CONFLICT,
        'this idempotencyKey was used for a different alert',
      );
    return this.get(row.alert_id, db);
  }

  async get(
    id: string,
    db: { query(sql: string, p?: unknown[]): Promise<unknown> } = this.db,
  ): Promise<AlertView | null> {
    const [row] = await queryRows<AlertRow>(db, 'SELECT * FROM alerts WHERE id = $1', [id]);
    return row ? alertView(row) : null;
  }
}
