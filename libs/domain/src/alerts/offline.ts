/**
 * Offline (what-if) evaluation of the alert policy over a scenario's trace, without the servers: the same
 * forecast and alert code the API runs (`assessSeries`, `nextAlertState`), fed by a small stock simulation.
 *
 * Simulation (network-wide, one series per SKU):
 * - opening stock = the scenario's `stock[]` summed over warehouses; a kit is a SKU with its own stock (a kit
 *   order takes kit stock only, never components);
 * - business time of a trace event = `startsAtMs + t × 1000`;
 * - events in trace order: an order is accepted when every line's SKU has available ≥ qty, and then takes all
 *   of its lines; otherwise the whole order is rejected (orders are all or nothing) and each line counts as
 *   lost units. Every line, accepted or not, is demand for the forecast (`observeOrderAttempt`). A cancel of an
 *   accepted order returns its units; a cancel of a rejected one changes nothing. Cart adds feed the forecast;
 * - no restocks, transfers or inbound arrivals happen (the run measures the alert, not the reaction to it), and
 *   live-session locks are not modelled (locked units are still part of the network's available stock);
 * - the alert state of a SKU is evaluated at every business minute boundary from `startsAt` to the end of the
 *   horizon (a sweep over all SKUs), and right after every order or cancel that touches the SKU; cart adds are
 *   picked up by the next evaluation. Alerts follow `nextAlertState` (open, escalate, resolve, cool-down);
 * - policy per SKU: the tier defaults (`resolveDynamicPolicy(tier)`) or `staticPolicy(threshold)`, where the
 *   threshold is the given N or, when none is given, 10 % of the SKU's opening stock; or, for a policy preview,
 *   whatever a book of policies (stored or draft) resolves for the SKU;
 * - sale window end = the end of the last live session, or the last trace event when there is no session;
 *   fastest supply = the shortest `leadTimeHours` of a supplier of the SKU, in minutes (none: no supplier).
 *
 * Measures (SCENARIOS.md): `stockoutAt` = first time available reached 0; `stockoutMinutes` = business minutes
 * in which demand for the SKU arrived while its available was 0; `leadMinutes` = stockoutAt − first warning,
 * where the first warning is the first warning or critical trigger (null without a stockout or a warning;
 * negative when the warning came late); `falseAlarm` = a warning or critical alert although available never
 * fell to 10 % of opening stock or below.
 *
 * Pure and deterministic: no clock, no randomness; the same inputs give the same result.
 */
import { toIsoWithOffset } from '../clock';
import { advanceDemand, createDemandState, type DemandState, observeCartAdds } from '../forecast';
import { observeOrderAttempt } from '../forecast';
import { MINUTE_MS } from '../forecast/num';
import type { Scenario, TraceEvents } from '../scenario/types';
import { traceTimeline } from '../scenario/parse-trace';
import { assessSeries } from './assess';
import {
  type AlertPolicy,
  type OpenAlertLevel,
  resolveDynamicPolicy,
  staticPolicy,
  type SkuTier,
} from './policy';
import { type AlertState, nextAlertState } from './state-machine';

/**
 * `dynamic`: tier defaults; `static`: warning when available < threshold (default: 10 % of opening stock);
 * `book`: each SKU's policy as a policy book resolves it (the console's preview of stored or draft policies).
 */
export type OfflinePolicyChoice =
  | 'dynamic'
  | { type: 'static'; threshold?: number }
  | { type: 'book'; policyFor(sku: string, tier: SkuTier): AlertPolicy };

/** What the evaluation reads of a scenario: a recorded sale event can be put in this shape as well. */
export type OfflineScenario = Pick<Scenario, 'startsAt' | 'startsAtMs' | 'horizonHours'> & {
  skus: Pick<Scenario['skus'][number], 'code' | 'tier'>[];
  stock: Pick<Scenario['stock'][number], 'sku' | 'onHand'>[];
  suppliers: Pick<Scenario['suppliers'][number], 'skus' | 'leadTimeHours'>[];
  liveSessions: Pick<Scenario['liveSessions'][number], 'endsAtMinute'>[];
};

export interface OfflineOptions {
  policy: OfflinePolicyChoice;
  /** Called after each trace event with the number processed so far and the total (for progress output). */
  onProgress?: (processed: number, total: number) => void;
}

export interface OfflineSkuResult {
  sku: string;
  tier: SkuTier;
  /** The static threshold applied to this SKU; null for the dynamic policy. */
  staticThreshold: number | null;
  openingStock: number;
  /** Units in every order line (accepted or rejected). */
  demanded: number;
  /** Units in accepted orders (before cancels). */
  accepted: number;
  /** Units in rejected orders. */
  lost: number;
  /** Units returned by cancels of accepted orders. */
  cancelledReturned: number;
  finalAvailable: number;
  minAvailable: number;
  /** First trigger of each level (ISO 8601 business time with the scenario's offset), or null. */
  firstAlertAt: Record<OpenAlertLevel, string | null>;
  stockoutAt: string | null;
  stockoutMinutes: number;
  leadMinutes: number | null;
  falseAlarm: boolean;
}

export interface OfflineResult {
  policy: OfflinePolicyChoice;
  /** Business time of trace second 0 and the end of the evaluated horizon, epoch ms. */
  startsAtMs: number;
  endsAtMs: number;
  /** In the scenario's SKU order. */
  skus: OfflineSkuResult[];
}

interface SkuSim {
  code: string;
  tier: SkuTier;
  policy: AlertPolicy;
  staticThreshold: number | null;
  fastestSupplyMinutes: number | undefined;
  opening: number;
  available: number;
  minAvailable: number;
  demanded: number;
  accepted: number;
  lost: number;
  cancelledReturned: number;
  demand: DemandState;
  alert: AlertState | null;
  first: Record<OpenAlertLevel, number | null>;
  stockoutAtMs: number | null;
  stockoutMinutes: number;
  lastStockoutMinute: number;
}

/** Minutes east of UTC of an ISO 8601 instant's offset (`Z` or none: 0). */
function offsetMinutesOf(iso: string): number {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

export function evaluateOffline(
  scenario: OfflineScenario,
  events: TraceEvents,
  options: OfflineOptions,
): OfflineResult {
  const steps = evaluateOfflineSteps(scenario, events, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same evaluation in steps: it yields after every trace event and every swept minute, so a server can run
 * it between other work (a preview of a long scenario takes seconds of CPU) without blocking its event loop.
 */
export function* evaluateOfflineSteps(
  scenario: OfflineScenario,
  events: TraceEvents,
  options: OfflineOptions,
): Generator<void, OfflineResult, void> {
  const start = scenario.startsAtMs;
  const offset = offsetMinutesOf(scenario.startsAt);
  const iso = (ms: number | null): string | null => (ms === null ? null : toIsoWithOffset(ms, offset));
  const choice = options.policy;

  const opening = new Map<string, number>();
  for (const s of scenario.stock) opening.set(s.sku, (opening.get(s.sku) ?? 0) + s.onHand);
  const supplyMinutes = new Map<string, number>();
  for (const supplier of scenario.suppliers)
    for (const sku of supplier.skus) {
      const minutes = supplier.leadTimeHours * 60;
      supplyMinutes.set(sku, Math.min(supplyMinutes.get(sku) ?? Infinity, minutes));
    }

  const sims = new Map<string, SkuSim>();
  for (const sku of scenario.skus) {
    const open = opening.get(sku.code) ?? 0;
    let policy: AlertPolicy;
    let staticThreshold: number | null = null;
    if (choice === 'dynamic') policy = resolveDynamicPolicy(sku.tier);
    else if (choice.type === 'book') {
      policy = choice.policyFor(sku.code, sku.tier);
      if (policy.type === 'static') staticThreshold = policy.threshold;
    } else {
      staticThreshold = choice.threshold ?? open * 0.1;
      policy = staticPolicy(staticThreshold);
    }
    sims.set(sku.code, {
      code: sku.code,
      tier: sku.tier,
      policy,
      staticThreshold,
      fastestSupplyMinutes: supplyMinutes.get(sku.code),
      opening: open,
      available: open,
      minAvailable: open,
      demanded: 0,
      accepted: 0,
      lost: 0,
      cancelledReturned: 0,
      demand: createDemandState(),
      alert: null,
      first: { notice: null, warning: null, critical: null },
      stockoutAtMs: open <= 0 ? start : null,
      stockoutMinutes: 0,
      lastStockoutMinute: -Infinity,
    });
  }
  const all = [...sims.values()];

  const lastT = Math.max(
    events.orders.at(-1)?.t ?? 0,
    events.cartAdds.at(-1)?.t ?? 0,
    events.cancels.at(-1)?.t ?? 0,
  );
  const lastEventMs = start + lastT * 1000;
  const sessionEnd = scenario.liveSessions.reduce((m, s) => Math.max(m, s.endsAtMinute), -Infinity);
  const saleWindowEndMs = Number.isFinite(sessionEnd) ? start + sessionEnd * MINUTE_MS : lastEventMs;
  const endsAtMs = Math.max(start + scenario.horizonHours * 60 * MINUTE_MS, lastEventMs);

  const evaluate = (sim: SkuSim, nowMs: number): void => {
    const { evaluation } = assessSeries(sim.demand, {
      nowMs,
      available: sim.available,
      policy: sim.policy,
      saleWindowEndMs,
      fastestSupplyMinutes: sim.fastestSupplyMinutes,
    });
    const transition = nextAlertState(sim.alert, evaluation, sim.policy, nowMs);
    sim.alert = transition.alert;
    if ((transition.action === 'open' || transition.action === 'escalate') && transition.alert) {
      const level = transition.alert.level;
      if (sim.first[level] === null) sim.first[level] = nowMs;
    }
  };

  let nextSweep = 0;
  function* sweepUntil(ms: number): Generator<void, void, void> {
    for (let at = start + nextSweep * MINUTE_MS; at <= ms; at = start + ++nextSweep * MINUTE_MS) {
      for (const sim of all) {
        // Closing the idle minutes once here keeps every later forecast from redoing it.
        sim.demand = advanceDemand(sim.demand, at);
        evaluate(sim, at);
      }
      yield;
    }
  }

  const take = (sim: SkuSim, qty: number, atMs: number): void => {
    sim.available -= qty;
    if (sim.available < sim.minAvailable) sim.minAvailable = sim.available;
    if (sim.available <= 0 && sim.stockoutAtMs === null) sim.stockoutAtMs = atMs;
  };

  /** Accepted lines of orders that can still be cancelled. */
  const acceptedOrders = new Map<string, { sku: string; qty: number }[]>();
  const total = events.orders.length + events.cartAdds.length + events.cancels.length;
  let processed = 0;

  for (const event of traceTimeline(events)) {
    const atMs = start + event.t * 1000;
    yield* sweepUntil(atMs);
    if (event.kind === 'order') {
      const { order } = event;
      const lines = order.lines.map((l) => ({ line: l, sim: sims.get(l.sku)! }));
      const minute = Math.floor((atMs - start) / MINUTE_MS);
      for (const { sim } of lines) {
        if (sim.available <= 0 && sim.lastStockoutMinute !== minute) {
          sim.stockoutMinutes++;
          sim.lastStockoutMinute = minute;
        }
      }
      const ok = lines.every(({ line, sim }) => sim.available >= line.qty);
      for (const { line, sim } of lines) {
        sim.demanded += line.qty;
        sim.demand = observeOrderAttempt(sim.demand, { atMs, units: line.qty, accepted: ok });
        if (ok) {
          sim.accepted += line.qty;
          take(sim, line.qty, atMs);
        } else sim.lost += line.qty;
      }
      if (ok) acceptedOrders.set(order.orderId, order.lines);
      for (const { sim } of lines) evaluate(sim, atMs);
    } else if (event.kind === 'cart_add') {
      const sim = sims.get(event.cartAdd.sku)!;
      sim.demand = observeCartAdds(sim.demand, { atMs, units: event.cartAdd.qty });
    } else {
      const lines = acceptedOrders.get(event.cancel.orderId);
      if (lines) {
        acceptedOrders.delete(event.cancel.orderId);
        for (const line of lines) {
          const sim = sims.get(line.sku)!;
          sim.available += line.qty;
          sim.cancelledReturned += line.qty;
        }
        for (const line of lines) evaluate(sims.get(line.sku)!, atMs);
      }
    }
    processed++;
    options.onProgress?.(processed, total);
    yield;
  }
  yield* sweepUntil(endsAtMs);

  const skus = all.map((sim): OfflineSkuResult => {
    const warnedAt =
      sim.first.warning === null
        ? sim.first.critical
        : sim.first.critical === null
          ? sim.first.warning
          : Math.min(sim.first.warning, sim.first.critical);
    const leadMinutes =
      warnedAt === null || sim.stockoutAtMs === null
        ? null
        : Math.round(((sim.stockoutAtMs - warnedAt) / MINUTE_MS) * 10) / 10;
    return {
      sku: sim.code,
      tier: sim.tier,
      staticThreshold: sim.staticThreshold,
      openingStock: sim.opening,
      demanded: sim.demanded,
      accepted: sim.accepted,
      lost: sim.lost,
      cancelledReturned: sim.cancelledReturned,
      finalAvailable: sim.available,
      minAvailable: sim.minAvailable,
      firstAlertAt: {
        notice: iso(sim.first.notice),
        warning: iso(sim.first.warning),
        critical: iso(sim.first.critical),
      },
      stockoutAt: iso(sim.stockoutAtMs),
      stockoutMinutes: sim.stockoutMinutes,
      leadMinutes,
      falseAlarm: warnedAt !== null && sim.minAvailable > sim.opening * 0.1,
    };
  });
  return { policy: choice, startsAtMs: start, endsAtMs, skus };
}
