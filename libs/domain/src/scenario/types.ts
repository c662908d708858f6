/**
 * Typed form of a `bigsale-scenario/v1` document (SCENARIOS.md "Scenario file"). Only the fields the spec
 * names are kept: unknown members of the JSON are ignored and never copied here.
 */
import type { SkuTier } from '../alerts/policy';

export const SCENARIO_FORMAT = 'bigsale-scenario/v1';

export interface ScenarioRegion {
  code: string;
  name: string;
  /** Remote regions ship in wave 3. */
  remote: boolean;
  lat: number;
  lon: number;
}

export interface ScenarioWarehouse {
  code: string;
  name: string;
  /** Region code. */
  region: string;
  /** IANA time zone; courier cut-offs are local to it. */
  timezone: string;
  pickLinesPerHour: number;
  packStations: number;
}

/** Transit time between two warehouses, valid in both directions. */
export interface ScenarioTransit {
  from: string;
  to: string;
  hours: number;
}

export interface ScenarioKitLine {
  sku: string;
  qty: number;
}

export interface ScenarioSku {
  code: string;
  name: string;
  /**
   * Unit cost at opening. For a kit without a `unitCost` in the file it is derived from the components
   * (`kitComponentsCost`); when the file gives one it is kept as given, even if it differs from the sum.
   */
  unitCost: number;
  /** Whether `unitCost` came from the file or was derived from the kit's components. */
  unitCostSource: 'given' | 'components';
  unitPrice: number;
  tier: SkuTier;
  weightKg: number;
  /** Bill of materials when the SKU is a pre-packed kit. */
  kit?: ScenarioKitLine[];
}

/** Opening balance at the start of `prepHours`. */
export interface ScenarioStock {
  warehouse: string;
  sku: string;
  onHand: number;
}

export interface ScenarioSupplier {
  code: string;
  name: string;
  skus: string[];
  leadTimeHours: number;
  unitsPerDay: number;
}

export interface ScenarioCourier {
  code: string;
  name: string;
  /** Region codes, or `['*']` for all regions. */
  regions: string[];
  parcelsPerDay: number;
  pricePerParcel: number;
  /** Daily cut-off `HH:MM`, local to the warehouse. */
  cutoff: string;
}

export interface ScenarioChannel {
  code: string;
  name: string;
}

export interface ScenarioLiveSession {
  id: string;
  channel: string;
  /** Window `[startsAtMinute, endsAtMinute)` in minutes after `startsAt`. */
  startsAtMinute: number;
  endsAtMinute: number;
  locks: ScenarioKitLine[];
}

/** `[min, max]`, min ≤ max. */
export type MinMax = readonly [number, number];

export interface ScenarioActors {
  warehouseLead: { decisionMinutes: MinMax; rejectRate: number };
  supplyManager: { decisionMinutes: MinMax; rejectRate: number };
  ops: { reactMinutes: MinMax };
  supplier: { confirmMinutes: MinMax; shortShipRate: number };
  packing: { unitsPerStationHour: number };
  courier: { pickupDelayMinutes: MinMax };
}

export interface Scenario {
  format: typeof SCENARIO_FORMAT;
  name: string;
  description: string;
  seed: number;
  /** Business instant of trace second 0, as written (ISO 8601 with offset). */
  startsAt: string;
  /** `startsAt` in epoch milliseconds. */
  startsAtMs: number;
  prepHours: number;
  horizonHours: number;
  regions: ScenarioRegion[];
  warehouses: ScenarioWarehouse[];
  transitHours: ScenarioTransit[];
  skus: ScenarioSku[];
  stock: ScenarioStock[];
  suppliers: ScenarioSupplier[];
  couriers: ScenarioCourier[];
  channels: ScenarioChannel[];
  liveSessions: ScenarioLiveSession[];
  actors: ScenarioActors;
  /** CSV trace path relative to the scenario JSON file. */
  trace: { file: string };
}

/** One problem in a scenario JSON file. `path` is a JSON path such as `skus[3].kit[0].sku` (`$` = the root). */
export interface ScenarioIssue {
  file: string;
  path: string;
  reason: string;
}

export type ParseScenarioResult = { ok: true; scenario: Scenario } | { ok: false; errors: ScenarioIssue[] };

// ---- trace ----

export interface TraceOrderLine {
  sku: string;
  qty: number;
}

/** One order: all trace rows with the same `order` id, placed at the first row's `t`. */
export interface TraceOrder {
  /** Seconds after `startsAt`. */
  t: number;
  channel: string;
  orderId: string;
  region: string;
  lines: TraceOrderLine[];
  /** 1-based CSV row (header = row 1) of the order's first line. */
  row: number;
}

export interface TraceCartAdd {
  t: number;
  channel: string;
  sku: string;
  qty: number;
  row: number;
}

export interface TraceCancel {
  t: number;
  orderId: string;
  row: number;
}

export interface TraceEvents {
  /** In placement order (the order of their first rows, hence by `t`). */
  orders: TraceOrder[];
  cartAdds: TraceCartAdd[];
  cancels: TraceCancel[];
}

export type TraceEvent =
  | { kind: 'order'; t: number; row: number; order: TraceOrder }
  | { kind: 'cart_add'; t: number; row: number; cartAdd: TraceCartAdd }
  | { kind: 'cancel'; t: number; row: number; cancel: TraceCancel };

export interface TraceStats {
  /** Data rows (header and blank lines not counted). */
  rows: number;
  orders: number;
  orderLines: number;
  /** Units over all order lines. */
  orderUnits: number;
  cartAdds: number;
  cartAddUnits: number;
  cancels: number;
  /** `t` of the last row (0 for an empty trace). */
  lastT: number;
  /** Orders per channel code. */
  ordersByChannel: Record<string, number>;
}

/** One problem in a trace CSV file. `row` is 1-based with the header as row 1, as a spreadsheet shows it. */
export interface TraceIssue {
  file: string;
  row: number;
  reason: string;
}

export type ParseTraceResult =
  { ok: true; events: TraceEvents; stats: TraceStats } | { ok: false; errors: TraceIssue[] };
