/**
 * One replay of a scenario against a running stack (the caller started it and gives its URL and admin token):
 * master data and opening stock through the public API, the sale event, `prepHours` at the fast scale, the
 * trace at a scale that keeps the order rate around 300/s, the quiet hours fast again until everything has
 * settled or the horizon, then the report from the system's own records, `oversold` from what clients were told,
 * and `ledger verify`.
 */
import { randomBytes } from 'node:crypto';
import { type Scenario, toIsoWithOffset, type TraceEvents } from '@peakstock/domain';
import type { WorkflowProgress } from '@peakstock/contracts';
import { createDataSource, verifyLedger } from '@peakstock/persistence';
import { loadDemoMasterData, offsetMinutes, saleEventBody } from '../demo-data';
import { ChannelStream, type ClientTally, emptyTally } from './channels';
import type { ReplayCharts } from '@peakstock/domain';
import { SimulatedPartners } from './partners';
import { SimulatedPeople, type WavePlanView } from './people';
import { ApiUser, ReplayClock, Scheduler, sleep } from './sim';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Real orders per second the default trace scale aims at (SCENARIOS.md). */
const TARGET_ORDERS_PER_SECOND = 300;
/** The scale through `prepHours` and the quiet hours after the trace (API.md: "default 1,800×"). */
export const DEFAULT_QUIET_SCALE = 1_800;
/** The settling scale while picking waves are being worked (a wave report ~0.2 s late is a business minute). */
const WAVE_SCALE = 300;
/** Ops sets up a live session's locks this long before it starts. */
const LIVE_SESSION_SETUP_MINUTES = 30;
/** The trace's scale takes over this long before its first second, so nothing of the trace runs fast. */
const TRACE_LEAD_MINUTES = 10;

export type ReplayPolicy = { type: 'dynamic' } | { type: 'static'; threshold: number };

export interface ReplayInput {
  scenario: Scenario;
  events: TraceEvents;
  apiUrl: string;
  adminToken: string;
  databaseUrl: string;
  policy: ReplayPolicy;
  /** Business ms per real ms while the trace streams; default from the trace's peak order rate. */
  timeScale?: number;
  quietScale?: number;
  log: (line: string) => void;
  /** Called about once a second with a one-line status (the CLI draws the progress bar from it). */
  onProgress?: (p: ReplayProgress) => void;
}

export interface ReplayProgress {
  phase: 'setup' | 'prep' | 'trace' | 'settling' | 'report';
  businessNow: string;
  /** 0..1 of the phase's business span. */
  fraction: number;
  ordersSent: number;
  ordersTotal: number;
  scale: number;
}

/** One phase's spans: real and business milliseconds, and the orders sent in it. */
export interface PhaseTiming {
  phase: ReplayProgress['phase'];
  realMs: number;
  businessMs: number;
  orders: number;
}

export interface ReplayResult {
  report: Record<string, unknown> & { scenario: string; policy: string };
  phases: PhaseTiming[];
  charts: ReplayCharts;
  ledger: { positions: number; mismatches: number };
  errors: string[];
}

export const policyName = (p: ReplayPolicy) => (p.type === 'dynamic' ? 'dynamic' : `static:${p.threshold}`);

/** The trace runs in segments of this many business minutes, each at the scale its own busiest minute allows. */
const TRACE_SEGMENT_MINUTES = 10;
/** The fastest the trace runs even where it is quiet: a business minute stays ≥ 0.1 real s for people and alerts. */
const TRACE_SCALE_CAP = 600;

/** The scale that keeps `ordersInBusiestMinute` at about 300 real orders/s (1 at least, `cap` at most). */
const scaleFor = (ordersInBusiestMinute: number, cap: number) =>
  Math.max(
    1,
    Math.min(cap, Math.floor(TARGET_ORDERS_PER_SECOND / (Math.max(1, ordersInBusiestMinute) / 60))),
  );

/**
 * The trace's clock: per segment of 10 business minutes, the scale that keeps the busiest minute of the segment
 * (and the one after, so a surge at the boundary is not met too fast) at about 300 real orders/s; neighbours
 * with the same scale merge. `t` is in trace seconds.
 */
export function traceScalePlan(events: TraceEvents, cap = TRACE_SCALE_CAP): { t: number; scale: number }[] {
  const perMinute: number[] = [];
  for (const o of events.orders) perMinute[Math.floor(o.t / 60)] = (perMinute[Math.floor(o.t / 60)] ?? 0) + 1;
  const plan: { t: number; scale: number }[] = [];
  for (let m = 0; m < Math.max(1, perMinute.length); m += TRACE_SEGMENT_MINUTES) {
    let peak = 0;
    for (let i = m; i <= m + TRACE_SEGMENT_MINUTES; i++) peak = Math.max(peak, perMinute[i] ?? 0);
    const scale = scaleFor(peak, cap);
    if (plan[plan.length - 1]?.scale !== scale) plan.push({ t: m * 60, scale });
  }
  return plan;
}

const localTime = (s: Scenario) => {
  const offset = offsetMinutes(s.startsAt);
  return (at: number | string) => toIsoWithOffset(typeof at === 'number' ? at : Date.parse(at), offset);
};

/** Minutes ahead the hero charts' forecast covers (what the engine expects to sell in that time). */
const FORECAST_SAMPLE_MINUTES = 30;

interface Sample {
  at: number;
  /** Network available per hero SKU. */
  available: Map<string, number>;
  /** Units the alert engine expects to sell in the next 30 minutes, per hero SKU. */
  forecast30: Map<string, number>;
}

const percentile = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10;
};

export async function runReplay(input: ReplayInput): Promise<ReplayResult> {
  const { scenario: s, events, log } = input;
  /** Business instants as the scenario writes them (its offset), for people reading the output. */
  const local = localTime(s);
  const admin = new ApiUser(input.apiUrl, input.adminToken, 'admin');
  const clock = new ReplayClock(admin);
  const errors: string[] = [];
  const scheduler = new Scheduler(clock, (m) => {
    errors.push(m);
    log(`action failed: ${m}`);
  });
  // A reduce, not a spread: a long trace has more rows than a call takes arguments.
  const traceEndT = [...events.orders, ...events.cancels].reduce((m, e) => Math.max(m, e.t), 0);
  const traceEndMs = s.startsAtMs + traceEndT * 1000;
  const prepStartMs = s.startsAtMs - s.prepHours * HOUR;
  const horizonMs = s.startsAtMs + s.horizonHours * HOUR;
  const scalePlan = input.timeScale ? [{ t: 0, scale: input.timeScale }] : traceScalePlan(events);
  const traceScale = Math.min(...scalePlan.map((p) => p.scale));
  const quietScale = input.quietScale ?? DEFAULT_QUIET_SCALE;
  const code = s.name;

  const tally: ClientTally = emptyTally();
  let phase: ReplayProgress['phase'] = 'setup';
  const phases: PhaseTiming[] = [];
  let phaseStart = { real: Date.now(), business: 0, orders: 0 };
  /** Closes the running phase's timing and starts `next`. */
  const enter = (next: ReplayProgress['phase']) => {
    const now = { real: Date.now(), business: clock.nowMs(), orders: tally.received };
    if (phase !== 'setup')
      phases.push({
        phase,
        realMs: now.real - phaseStart.real,
        businessMs: now.business - phaseStart.business,
        orders: now.orders - phaseStart.orders,
      });
    phase = next;
    phaseStart = now;
  };
  const streams: ChannelStream[] = [];
  const ordersTotal = events.orders.length;
  const progressTimer = setInterval(() => {
    const now = clock.nowMs();
    const span =
      phase === 'prep'
        ? [prepStartMs, s.startsAtMs]
        : phase === 'trace'
          ? [s.startsAtMs, traceEndMs]
          : phase === 'settling'
            ? [traceEndMs, horizonMs]
            : [now, now + 1];
    input.onProgress?.({
      phase,
      businessNow: local(now),
      fraction: Math.min(1, Math.max(0, (now - span[0]!) / Math.max(1, span[1]! - span[0]!))),
      ordersSent: tally.received,
      ordersTotal,
      scale: clock.scale,
    });
  }, 1000);
  const samples: Sample[] = [];
  let partners: SimulatedPartners | null = null;
  let people: SimulatedPeople | null = null;
  let sampling = true;
  try {
    // Business time starts at the beginning of the preparation, and runs at real speed while the data loads.
    await clock.set(1, prepStartMs);
    const partnerUsers = new Map<string, ApiUser>();
    partners = new SimulatedPartners(s, clock, scheduler, partnerUsers, randomBytes(24).toString('hex'), log);
    await partners.start();
    const p = partners;
    await loadDemoMasterData(input.apiUrl, input.adminToken, s, log, {
      partners: { url: (kind, c) => p.url(kind, c), secret: p.secret },
      saleEventRecord: false,
      source: 'replay',
    });

    const user = async (name: string, body: Record<string, unknown>) => {
      const created = await admin.ok<{ token: string }>('POST', '/v1/users', { name, locale: 'en', ...body });
      return new ApiUser(input.apiUrl, created.token, name);
    };
    const ops = await user('Ops (replay)', { role: 'ops' });
    const supplyManager = await user('Supply manager (replay)', { role: 'supply_manager' });
    const leads = new Map<string, ApiUser>();
    for (const w of s.warehouses)
      leads.set(
        w.code,
        await user(`Lead ${w.code} (replay)`, { role: 'warehouse_lead', warehouses: [w.code] }),
      );
    const channelUsers = new Map<string, ApiUser>();
    for (const c of s.channels)
      channelUsers.set(
        c.code,
        await user(`${c.name} (replay channel)`, { role: 'channel', channel: c.code }),
      );
    for (const sup of s.suppliers)
      partnerUsers.set(
        `supplier:${sup.code}`,
        await user(`${sup.name} (replay)`, { role: 'partner', supplier: sup.code }),
      );
    const couriers = new Map<string, ApiUser>();
    for (const c of s.couriers) {
      const u = await user(`${c.name} (replay)`, { role: 'partner', courier: c.code });
      couriers.set(c.code, u);
      partnerUsers.set(`courier:${c.code}`, u);
    }

    if (input.policy.type === 'static') {
      const threshold = input.policy.threshold;
      await admin.ok('PUT', '/v1/alert-policies', {
        skus: s.skus.map((k) => ({ sku: k.code, policy: { type: 'static', threshold } })),
      });
    }

    // The seller's plan for the event: the trace's demand per SKU stands in for the forecast a seller brings
    // (the scenario format carries none); courier booking and kit-build suggestions are sized from it.
    const forecast = new Map<string, number>();
    for (const o of events.orders)
      for (const l of o.lines) forecast.set(l.sku, (forecast.get(l.sku) ?? 0) + l.qty);
    await ops.ok('POST', '/v1/sale-events', {
      code,
      ...saleEventBody(s, Math.ceil(traceEndT / 60), forecast),
    });
    for (const ls of s.liveSessions) {
      const startsMs = s.startsAtMs + ls.startsAtMinute * MINUTE;
      scheduler.at(
        `live-session:${ls.id}`,
        Math.max(prepStartMs, startsMs - LIVE_SESSION_SETUP_MINUTES * MINUTE),
        async () => {
          const a = await ops.send('POST', '/v1/live-sessions', {
            id: ls.id,
            channel: ls.channel,
            startsAt: new Date(startsMs).toISOString(),
            endsAt: new Date(s.startsAtMs + ls.endsAtMinute * MINUTE).toISOString(),
            locks: ls.locks,
          });
          if (a.status >= 300)
            throw new Error(`live session ${ls.id} → ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
        },
      );
    }

    people = new SimulatedPeople(s, clock, scheduler, { ops, supplyManager, leads, couriers }, log);
    scheduler.start();
    people.start();
    const heroes = s.skus.filter((k) => k.tier === 'A').map((k) => k.code);
    const sampler = (async () => {
      while (sampling) {
        try {
          const stock = await admin.ok<{ items: { sku: string; available: number }[] }>('GET', '/v1/stock');
          const available = new Map<string, number>();
          for (const it of stock.items)
            if (heroes.includes(it.sku)) available.set(it.sku, (available.get(it.sku) ?? 0) + it.available);
          // The alert engine's own forecast for each hero, network-wide: the units it expects to sell in the
          // next 30 minutes (the same projection the console draws).
          const forecast30 = new Map<string, number>();
          const from = new Date(clock.nowMs() - MINUTE).toISOString();
          for (const sku of heroes) {
            const h = await admin.send(
              'GET',
              `/v1/stock/history?sku=${encodeURIComponent(sku)}&from=${from}`,
            );
            const f = (h.body as { forecast?: { available: number }[] } | undefined)?.forecast;
            if (h.status === 200 && f && f.length > FORECAST_SAMPLE_MINUTES)
              forecast30.set(sku, Math.round(f[0]!.available - f[FORECAST_SAMPLE_MINUTES]!.available));
          }
          samples.push({ at: clock.nowMs(), available, forecast30 });
        } catch (err) {
          log(`stock sample: ${(err as Error).message}`);
        }
        // About one sample per business minute while the trace streams, fewer in the fast hours. In short
        // naps: the scale changes under it (a minute at the opening 1× is a real minute).
        const next = clock.nowMs() + MINUTE;
        do await sleep(250);
        while (sampling && clock.nowMs() < next);
      }
    })();

    enter('prep');
    log(`prep: ${s.prepHours} business hours at ${quietScale}×`);
    await clock.set(quietScale);
    await clock.sleepUntil(s.startsAtMs - TRACE_LEAD_MINUTES * MINUTE);
    await clock.set(scalePlan[0]!.scale);
    log(
      `trace: ${ordersTotal} orders over ${Math.round(traceEndT / 60)} business minutes at ` +
        scalePlan.map((p) => `${p.scale}× from minute ${p.t / 60}`).join(', '),
    );
    await clock.sleepUntil(s.startsAtMs);
    enter('trace');
    let streaming = true;
    const scaling = (async () => {
      for (const step of scalePlan.slice(1)) {
        await clock.sleepUntil(s.startsAtMs + step.t * 1000);
        if (!streaming) return;
        await clock.set(step.scale);
      }
    })();
    for (const c of s.channels)
      streams.push(new ChannelStream(s, c.code, channelUsers.get(c.code)!, events, clock, tally, log));
    await Promise.all(streams.map((st) => st.run())).finally(() => (streaming = false));
    // Every step's minute has an order in it, so the last step is past or due now: nothing sets the trace's
    // scale after the quiet one below.
    await scaling;

    enter('settling');
    await clock.set(quietScale);
    log(`settling: until the sale event has reported or the horizon, at ${quietScale}×`);
    let settled = false;
    for (;;) {
      const event = await admin.send('GET', `/v1/workflows/${encodeURIComponent(`sale-event:${code}`)}`);
      const status = (event.body as WorkflowProgress | undefined)?.status;
      if (event.status === 200 && status !== 'running') {
        settled = true;
        log(`settled: the sale event's workflow is ${status} at ${local(clock.nowMs())}`);
        break;
      }
      if (clock.nowMs() >= horizonMs) {
        log(`horizon reached at ${local(horizonMs)} (the sale event's workflow is ${status})`);
        break;
      }
      // Nothing is due soon unless a wave is being worked: then the clock slows so that reports of people
      // and partners land in the business minute they belong to, not several minutes late.
      const wanted = people.wavesInProgress() ? Math.min(quietScale, WAVE_SCALE) : quietScale;
      if (wanted !== clock.scale) await clock.set(wanted);
      await sleep(500);
    }
    enter('report');
    sampling = false;
    await sampler;
    await people.stop();
    scheduler.stop();

    const report = await admin.ok<Record<string, unknown>>(
      'GET',
      `/v1/sale-events/${encodeURIComponent(code)}/report`,
    );
    const { ledger, alertToWorkflowMs } = await fromDatabase(input.databaseUrl, (ms) => clock.scaleAt(ms));
    const oversold = oversoldUnits(s, tally, people.stats);
    const charts = await chartsOf(admin, s, heroes, samples, tally, people);
    const openOrders = await explainOpenOrders(admin, people, clock.nowMs(), !settled);
    // Where every workflow ended up (kind → status/stage → count): the first place to look when a figure is odd.
    const workflowStages: Record<string, Record<string, number>> = {};
    const supplyWorkflows: {
      kind: string;
      sku?: string;
      warehouses?: string[];
      status: string;
      stage: string;
    }[] = [];
    for (const w of await allPages<WorkflowProgress>(admin, '/v1/workflows')) {
      if (w.kind === 'restock' || w.kind === 'transfer' || w.kind === 'kit_build')
        supplyWorkflows.push({
          kind: w.kind,
          sku: w.subject.sku,
          warehouses: w.subject.warehouses,
          status: w.status,
          stage: w.stage,
        });
      const byStage = (workflowStages[w.kind] ??= {});
      const key = `${w.status}: ${w.stage}`;
      byStage[key] = (byStage[key] ?? 0) + 1;
    }
    const units = (report.units ?? {}) as Record<string, unknown>;
    return {
      report: {
        ...report,
        scenario: s.name,
        policy: policyName(input.policy),
        timeScale: traceScale,
        timeScales: scalePlan.map((p) => ({ fromMinute: p.t / 60, scale: p.scale })),
        quietScale,
        units: { ...units, oversold: oversold.total },
        latency: {
          ...((report.latency ?? {}) as Record<string, unknown>),
          reserveMsP50: percentile(tally.reserveMs, 50),
          reserveMsP99: percentile(tally.reserveMs, 99),
          alertToWorkflowMsP50: percentile(alertToWorkflowMs, 50),
          alertToWorkflowMsP99: percentile(alertToWorkflowMs, 99),
        },
        clients: {
          received: tally.received,
          accepted: tally.accepted,
          rejectedOutOfStock: tally.rejectedOutOfStock,
          cancelled: tally.cancelled,
          otherAnswers: tally.otherAnswers,
          cartAdds: tally.cartAdds,
          oversoldBySku: oversold.bySku,
        },
        openOrders,
        workflowStages,
        supplyWorkflows,
        people: people.stats,
        partners: partners.stats,
        ledgerVerified: ledger.mismatches === 0,
        replayErrors: errors.length,
      },
      charts,
      phases,
      ledger,
      errors,
    };
  } finally {
    clearInterval(progressTimer);
    sampling = false;
    scheduler.stop();
    await people?.stop();
    await partners?.stop();
  }
}

/**
 * From the system's own records: `ledger verify`, and how long each alert took to start its workflow. Both
 * instants are business time (the alert's trigger, the workflow's first progress); the replay knows the scale at
 * each moment, which turns the gap back into real milliseconds.
 */
async function fromDatabase(
  databaseUrl: string,
  scaleAt: (businessMs: number) => number,
): Promise<{ ledger: { positions: number; mismatches: number }; alertToWorkflowMs: number[] }> {
  const ds = createDataSource(databaseUrl, 1);
  await ds.initialize();
  try {
    const { positions, mismatches } = await verifyLedger(ds);
    const rows = (await ds.query(
      `SELECT w.level, a.triggers, p.started_at
         FROM alert_workflows w JOIN alerts a ON a.id = w.alert_id
         JOIN workflow_projections p ON p.workflow_id = w.workflow_id`,
    )) as { level: string; triggers: { level: string; atMs: number }[]; started_at: Date }[];
    const alertToWorkflowMs: number[] = [];
    for (const r of rows) {
      const trigger = r.triggers.find((t) => t.level === r.level);
      if (!trigger) continue;
      const businessMs = r.started_at.getTime() - trigger.atMs;
      if (businessMs >= 0) alertToWorkflowMs.push(businessMs / scaleAt(trigger.atMs));
    }
    return { ledger: { positions, mismatches: mismatches.length }, alertToWorkflowMs };
  } finally {
    await ds.destroy();
  }
}

/**
 * Units clients were told they have (201, from stock, net of accepted cancellations) beyond what the network
 * could hold: opening stock, plus what the leads received (after the presale backlog took its share first), plus
 * kits packed, minus the components those kits consumed. All from the replay's side of the conversation; per
 * SKU; must be 0.
 */
export function oversoldUnits(
  s: Scenario,
  tally: ClientTally,
  people: Pick<SimulatedPeople['stats'], 'receivedUnits' | 'kitsPacked'>,
): { total: number; bySku: Record<string, number> } {
  const supply = new Map<string, number>();
  const add = (sku: string, n: number) => supply.set(sku, (supply.get(sku) ?? 0) + n);
  for (const st of s.stock) add(st.sku, st.onHand);
  for (const [sku, n] of Object.entries(people.receivedUnits))
    add(sku, Math.max(0, n - (tally.presaleUnits.get(sku) ?? 0)));
  for (const [kit, n] of Object.entries(people.kitsPacked)) {
    add(kit, n);
    for (const line of s.skus.find((k) => k.code === kit)?.kit ?? []) add(line.sku, -n * line.qty);
  }
  const bySku: Record<string, number> = {};
  let total = 0;
  for (const [sku, sold] of tally.stockUnits) {
    const over = Math.max(0, sold - (supply.get(sku) ?? 0));
    if (over > 0) {
      bySku[sku] = over;
      total += over;
    }
  }
  return { total, bySku };
}

async function chartsOf(
  admin: ApiUser,
  s: Scenario,
  heroes: string[],
  samples: Sample[],
  tally: ClientTally,
  people: SimulatedPeople,
): Promise<ReplayCharts> {
  const local = localTime(s);
  const alerts = await allPages<{
    sku: string;
    warehouse: string | null;
    triggers: Record<string, unknown>[];
  }>(admin, '/v1/alerts');
  const heroSkus = heroes.map((sku) => {
    const points = samples.map((p) => ({
      at: local(p.at),
      available: p.available.get(sku) ?? 0,
      forecast30: p.forecast30.get(sku) ?? null,
    }));
    const marks: ReplayCharts['heroSkus'][number]['alerts'] = [];
    // Every alert of the SKU marks the chart (a warehouse's warning is news for the network too).
    for (const a of alerts.filter((x) => x.sku === sku)) {
      for (const t of a.triggers ?? []) {
        const level = String(t.level);
        const atMs = typeof t.atMs === 'number' ? t.atMs : null;
        if (atMs === null || (level !== 'notice' && level !== 'warning' && level !== 'critical')) continue;
        marks.push({ at: local(atMs), level });
      }
    }
    const stockouts: { from: string; to: string }[] = [];
    let from: string | null = null;
    for (const p of points) {
      if (p.available <= 0 && from === null) from = p.at;
      if (p.available > 0 && from !== null) {
        stockouts.push({ from, to: p.at });
        from = null;
      }
    }
    if (from !== null && points.length) stockouts.push({ from, to: points[points.length - 1]!.at });
    return { sku, points, alerts: marks, stockouts };
  });
  const ordersPerMinute = [...tally.perMinute].map(([channel, counts]) => ({
    channel,
    points: Array.from({ length: counts.length }, (_, minute) => ({ minute, orders: counts[minute] ?? 0 })),
  }));
  const waves: ReplayCharts['waves'] = [];
  for (const seen of people.wavePlans.values()) {
    // As the plan stands now: the view the leads worked from predates the last hand-overs.
    const latest = await admin.send('GET', `/v1/wave-plans/${encodeURIComponent(seen.workflowId)}`);
    const plan = latest.status === 200 ? (latest.body as WavePlanView) : seen;
    for (const w of plan.waves)
      waves.push({
        warehouse: plan.warehouse,
        wave: w.index,
        startAt: local(w.start),
        endAt: local(w.end),
        orders: w.orderCount,
        late: w.late,
        // Shipped when its last order went to the courier.
        shippedAt:
          w.orderCount > 0 && w.handedOver >= w.orderCount && w.lastHandedOverAt
            ? local(Date.parse(w.lastHandedOverAt))
            : null,
      });
  }
  const courier: ReplayCharts['courier'] = [];
  const bookings = await allPages<WorkflowProgress>(admin, '/v1/workflows?kind=courier_booking');
  for (const b of bookings) {
    const view = await admin.send('GET', `/v1/courier-bookings/${encodeURIComponent(b.workflowId)}`);
    if (view.status !== 200) continue;
    const v = view.body as {
      warehouse: string;
      days: { courier: string; day: string; booked: number; overflow: number; used: number }[];
    };
    // Booked capacity is the primary booking and its overflow: both were there for the parcels to use.
    for (const d of v.days)
      courier.push({
        courier: d.courier,
        warehouse: v.warehouse,
        day: d.day,
        booked: d.booked + d.overflow,
        used: d.used,
      });
  }
  return { heroSkus, ordersPerMinute, waves, courier };
}

/**
 * Every order still open at the end, with why (SCENARIOS.md: each accepted order is shipped, cancelled or
 * explained): a presale line waiting for supply, a wave planner's reason it could not be planned, a wave not due
 * yet or past due (a late wave), or, when the horizon came before the sale event settled, wave planning still to
 * come. What none of these covers is counted as `unexplained`, with a few ids to look at.
 */
async function explainOpenOrders(
  admin: ApiUser,
  people: SimulatedPeople,
  nowMs: number,
  cutByHorizon: boolean,
): Promise<{
  open: number;
  reasons: Record<string, number>;
  unexplained: number;
  unexplainedSample: string[];
}> {
  const open = await allPages<{ id: string; presaleLines: { qty: number; served: number }[] }>(
    admin,
    '/v1/orders?status=accepted',
  );
  const infeasible = new Map<string, string>();
  const waveDue = new Map<string, number>();
  for (const plan of people.wavePlans.values()) {
    for (const x of plan.infeasible ?? []) infeasible.set(x.orderId, x.code);
    for (const w of plan.waves)
      for (const id of w.orders) waveDue.set(id, Math.max(Date.parse(w.end), Date.parse(w.cutoff)));
  }
  const reasons: Record<string, number> = {};
  const unexplained: string[] = [];
  for (const o of open) {
    let reason: string | null = null;
    const due = waveDue.get(o.id);
    if (o.presaleLines.some((l) => l.served < l.qty)) reason = 'presale: waiting for supply';
    else if (due !== undefined) reason = due > nowMs ? 'in a wave not due yet' : 'in a late wave';
    else if (infeasible.has(o.id)) reason = `not plannable: ${infeasible.get(o.id)}`;
    else if (cutByHorizon) reason = 'horizon: wave planning still to come';
    if (reason === null) unexplained.push(o.id);
    else reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return {
    open: open.length,
    reasons,
    unexplained: unexplained.length,
    unexplainedSample: unexplained.slice(0, 10),
  };
}

async function allPages<T>(user: ApiUser, path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page: { items: T[]; nextCursor: string | null } = await user.ok(
      'GET',
      `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    out.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return out;
}
