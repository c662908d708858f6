/** Wave plans, waves and their orders as the API's routes and the wave-plan activities read them. */
import { queryRows, type Queryable } from './query';

export interface WavePlanRow {
  plan_id: string;
  workflow_id: string;
  cycle: number;
  warehouse: string;
  from_at: Date;
  to_at: Date;
  status: 'proposed' | 'approved' | 'rejected' | 'expired' | 'done';
  infeasible: { orderId: string; code: string; reason: string }[];
  created_at: Date;
}

export interface WaveRow {
  id: string;
  plan_id: string;
  idx: number;
  class: 'W1' | 'W2' | 'W3';
  start_at: Date;
  end_at: Date;
  courier: string;
  cutoff_at: Date;
  pick_lines: number;
  units: number;
  sku_visits: number;
  utilisation: string;
  status: 'planned' | 'released' | 'done';
  late: boolean;
  picked: number;
  packed: number;
  released_at: Date | null;
}

/** The workflow's latest plan (its current cycle), or null. */
export async function latestWavePlan(db: Queryable, workflowId: string): Promise<WavePlanRow | null> {
  const [row] = await queryRows<WavePlanRow>(
    db,
    'SELECT * FROM wave_plans WHERE workflow_id = $1 ORDER BY created_at DESC, cycle DESC LIMIT 1',
    [workflowId],
  );
  return row ?? null;
}

export async function findWavePlan(db: Queryable, planId: string, lock = false): Promise<WavePlanRow | null> {
  const [row] = await queryRows<WavePlanRow>(
    db,
    `SELECT * FROM wave_plans WHERE plan_id = $1${lock ? ' FOR UPDATE' : ''}`,
    [planId],
  );
  return row ?? null;
}

/** A wave by id, or null (also for a string that is not a uuid: ids come from URLs). */
export async function findWave(db: Queryable, waveId: string, lock = false): Promise<WaveRow | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(waveId)) return null;
  const [row] = await queryRows<WaveRow>(
    db,
    `SELECT * FROM waves WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [waveId],
  );
  return row ?? null;
}

export function wavesOf(db: Queryable, planId: string): Promise<WaveRow[]> {
  return queryRows<WaveRow>(db, 'SELECT * FROM waves WHERE plan_id = $1 ORDER BY idx', [planId]);
}

export interface WaveOrders {
  orderIds: string[];
  handedOver: number;
  /** Business time of the wave's latest hand-over to the courier; null before the first. */
  lastHandedOverAt: Date | null;
}

/** Per wave of the plan: its order ids in planned order, and how many were handed over, and when last. */
export async function waveOrders(db: Queryable, planId: string): Promise<Map<string, WaveOrders>> {
  const rows = await queryRows<{
    wave_id: string;
    order_ids: string[];
    handed_over: number;
    last_handed_over_at: Date | null;
  }>(
    db,
    `SELECT wave_id, array_agg(order_id::text ORDER BY order_id) AS order_ids,
            count(handed_over_at)::int AS handed_over, max(handed_over_at) AS last_handed_over_at
       FROM wave_orders WHERE plan_id = $1 GROUP BY wave_id`,
    [planId],
  );
  return new Map(
    rows.map((r) => [
      r.wave_id,
      { orderIds: r.order_ids, handedOver: r.handed_over, lastHandedOverAt: r.last_handed_over_at },
    ]),
  );
}

/**
 * Picking and packing rates where the warehouse's master data gives none: a mid-sized e-commerce floor (the
 * planner sizes every wave from them, so a missing figure must not mean zero capacity).
 */
export const DEFAULT_PICK_LINES_PER_HOUR = 600;
export const DEFAULT_PACK_STATIONS = 4;
export const DEFAULT_UNITS_PER_STATION_HOUR = 60;

export interface WarehouseCapacity {
  timeZone: string;
  rates: { pickLinesPerHour: number; packStations: number; unitsPerStationHour: number };
}

export async function warehouseCapacity(db: Queryable, warehouse: string): Promise<WarehouseCapacity> {
  const [w] = await queryRows<{ timezone: string; pick: number | null; stations: number | null }>(
    db,
    'SELECT timezone, pick_lines_per_hour AS pick, pack_stations AS stations FROM warehouses WHERE code = $1',
    [warehouse],
  );
  return {
    timeZone: w?.timezone ?? 'Asia/Shanghai',
    rates: {
      pickLinesPerHour: w?.pick ?? DEFAULT_PICK_LINES_PER_HOUR,
      packStations: w?.stations ?? DEFAULT_PACK_STATIONS,
      unitsPerStationHour: DEFAULT_UNITS_PER_STATION_HOUR,
    },
  };
}
