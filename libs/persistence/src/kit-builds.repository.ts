/**
 * Kit builds as the API's routes and the kit-build activities read and move them. Packing and unbuilding are
 * ledger transactions over the kit and each of its components, keyed so that a retry never moves stock twice;
 * kits or components arriving serve their SKU's presale backlog first, like any other arrival.
 */
import { suggestKitBuild } from '@peakstock/domain';
import { serveBacklog } from './presale.repository';
import { queryRows, type Queryable } from './query';
import { applyLedger, type LedgerEntry, readLevels } from './stock.repository';

export interface KitBuildRow {
  workflow_id: string;
  /** The run the row belongs to: the id is keyed on kit and warehouse, runs again, and its row starts over. */
  run_id: string;
  kit_sku: string;
  warehouse: string;
  qty: number;
  /** Kits the components are locked for (0 until the lock, and when it was short). */
  locked_kits: number;
  packed: number;
  unlocked_units: number;
  unbuilt: number;
  status: 'requested' | 'packing' | 'closed' | 'not_built';
  due_by: Date;
}

export interface BomLine {
  sku: string;
  /** Units per kit. */
  qty: number;
}

/**
 * A packed batch's ledger key prefix (`:<sku>` per entry): the activity posts under it and the batch route
 * looks a retried batch up by it, so both must spell it the same.
 */
export const kitBatchKey = (workflowId: string, runId: string, batchKey: string) =>
  `kit-build:${workflowId}@${runId}:batch:${batchKey}`;

/** The build's row, or null; `lock` takes it FOR UPDATE (inside the caller's transaction). */
export async function findKitBuild(
  db: Queryable,
  workflowId: string,
  lock = false,
): Promise<KitBuildRow | null> {
  const [row] = await queryRows<KitBuildRow>(
    db,
    `SELECT * FROM kit_builds WHERE workflow_id = $1${lock ? ' FOR UPDATE' : ''}`,
    [workflowId],
  );
  return row ?? null;
}

/** The kit's bill of materials in its declared order; empty for a SKU that is not a kit. */
export function readBom(db: Queryable, kitSku: string): Promise<BomLine[]> {
  return queryRows<BomLine>(
    db,
    'SELECT component_sku AS sku, qty FROM kit_components WHERE kit_sku = $1 ORDER BY line',
    [kitSku],
  );
}

interface Movement {
  warehouse: string;
  kitSku: string;
  bom: BomLine[];
  kits: number;
  /** Prefix of every entry's idempotency key; one entry per SKU is keyed `<prefix>:<sku>`. */
  key: string;
  actor: { kind: string; id: string };
  cause: Record<string, unknown>;
  at: string;
}

/**
 * Packs `kits`: their locked components leave stock and the kits arrive on hand, in the caller's transaction.
 * Returns false when the entries existed already (a retry).
 */
export async function assembleKits(tx: Queryable, m: Movement): Promise<boolean> {
  const entries: LedgerEntry[] = [
    ...m.bom.map((c): LedgerEntry => ({
      warehouse: m.warehouse,
      sku: c.sku,
      kind: 'kit_assembly',
      dOnHand: -c.qty * m.kits,
      dLocked: -c.qty * m.kits,
      idempotencyKey: `${m.key}:${c.sku}`,
      actor: m.actor,
      cause: m.cause,
      at: m.at,
    })),
    {
      warehouse: m.warehouse,
      sku: m.kitSku,
      kind: 'kit_assembly',
      dOnHand: m.kits,
      idempotencyKey: `${m.key}:${m.kitSku}`,
      actor: m.actor,
      cause: m.cause,
      at: m.at,
    },
  ];
  const fresh = await applyLedger(tx, entries);
  if (fresh === 0) return false;
  await serveBacklog(tx, {
    warehouse: m.warehouse,
    sku: m.kitSku,
    arrivalKey: m.key,
    at: m.at,
    actor: m.actor,
  });
  return true;
}

/**
 * Unbuilds `kits` available kits back into their components, in the caller's transaction; the database refuses
 * more than are available (StockUnavailableError). Returns false when the entries existed already (a retry).
 */
export async function unbuildKits(tx: Queryable, m: Movement): Promise<boolean> {
  const entries: LedgerEntry[] = [
    {
      warehouse: m.warehouse,
      sku: m.kitSku,
      kind: 'kit_unbuild',
      dOnHand: -m.kits,
      idempotencyKey: `${m.key}:${m.kitSku}`,
      actor: m.actor,
      cause: m.cause,
      at: m.at,
    },
    ...m.bom.map((c): LedgerEntry => ({
      warehouse: m.warehouse,
      sku: c.sku,
      kind: 'kit_unbuild',
      dOnHand: c.qty * m.kits,
      idempotencyKey: `${m.key}:${c.sku}`,
      actor: m.actor,
      cause: m.cause,
      at: m.at,
    })),
  ];
  const fresh = await applyLedger(tx, entries);
  if (fresh === 0) return false;
  for (const c of m.bom)
    await serveBacklog(tx, {
      warehouse: m.warehouse,
      sku: c.sku,
      arrivalKey: m.key,
      at: m.at,
      actor: m.actor,
    });
  return true;
}

/**
 * How many kits to pre-pack at a warehouse for a sale event: the event's forecast for the kit less the kits
 * available anywhere in the network (any of them can ship), built from this warehouse's components while keeping
 * this warehouse's share of the components' own forecast (sold alone in the same event) free.
 */
export async function kitBuildSuggestion(
  db: Queryable,
  q: { saleEvent: string; kitSku: string; warehouse: string; bom: BomLine[] },
) {
  const components = q.bom.map((c) => c.sku);
  const [forecasts, levels] = await Promise.all([
    queryRows<{ sku: string; forecast_units: number | null }>(
      db,
      'SELECT sku, forecast_units FROM sale_event_skus WHERE sale_event = $1 AND sku = ANY($2::text[])',
      [q.saleEvent, [q.kitSku, ...components]],
    ),
    readLevels(db, { skus: [q.kitSku, ...components] }),
  ]);
  const forecast = new Map(forecasts.map((f) => [f.sku, f.forecast_units ?? 0]));
  const here: Record<string, number> = {};
  const network: Record<string, number> = {};
  for (const l of levels) {
    const available = Math.max(0, l.available);
    network[l.sku] = (network[l.sku] ?? 0) + available;
    if (l.warehouse === q.warehouse) here[l.sku] = available;
  }
  const keptForOwnDemand: Record<string, number> = {};
  for (const sku of components) {
    const own = forecast.get(sku) ?? 0;
    const share = network[sku] ? (here[sku] ?? 0) / network[sku]! : 0;
    if (own > 0 && share > 0) keptForOwnDemand[sku] = Math.ceil(own * share);
  }
  const suggestion = suggestKitBuild({
    kit: { sku: q.kitSku, bom: q.bom },
    forecastKitUnits: forecast.get(q.kitSku) ?? 0,
    kitOnHand: network[q.kitSku] ?? 0,
    componentAvailable: Object.fromEntries(components.map((c) => [c, here[c] ?? 0])),
    componentReservedForOtherDemand: keptForOwnDemand,
  });
  return {
    saleEvent: q.saleEvent,
    warehouse: q.warehouse,
    forecastKitUnits: forecast.get(q.kitSku) ?? 0,
    kitsAvailableInNetwork: network[q.kitSku] ?? 0,
    components: q.bom.map((c) => ({
      sku: c.sku,
      perKit: c.qty,
      available: here[c.sku] ?? 0,
      keptForOwnDemand: keptForOwnDemand[c.sku] ?? 0,
    })),
    ...suggestion,
  };
}
