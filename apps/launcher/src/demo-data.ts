/**
 * Demo data for `npm start` (and `DEMO_DATA=0` to skip it): the repo's demo scenario loaded through the public
 * API — regions, warehouses, lanes, SKUs and kits, suppliers and couriers, channels, the sale event, opening
 * stock — and a user for every
 * role: a lead per warehouse and a channel user per channel. Every call is idempotent (PUTs; keyed opening
 * adjustments), so each start loads it again harmlessly.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseScenario, toIsoWithOffset, type Scenario } from '@peakstock/domain';

export interface DemoUser {
  name: string;
  role: string;
  token: string;
  id: string;
  warehouses?: string[];
  channel?: string;
  supplier?: string;
}

type Call = (method: string, path: string, body?: unknown) => Promise<unknown>;

/** A JSON client for the public API, failing on any non-2xx (the demo loader's and the benchmark's). */
export function apiClient(apiUrl: string, token: string): Call {
  return async (method, path, body) => {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 500)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
}

export function readScenario(file: string): Scenario {
  const parsed = parseScenario(readFileSync(file, 'utf8'), file);
  if (!parsed.ok)
    throw new Error(`${file}: ${parsed.errors.map((e) => `${e.path}: ${e.reason}`).join('; ')}`);
  return parsed.scenario;
}

/** The offset written in an ISO 8601 instant, in minutes (`+08:00` → 480). */
export function offsetMinutes(iso: string): number {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(iso);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** Components before the kits made of them, so every reference exists when a kit is written. */
function kitsLast(s: Scenario): Scenario['skus'] {
  const done = new Set<string>();
  const out: Scenario['skus'] = [];
  const visit = (code: string) => {
    if (done.has(code)) return;
    const sku = s.skus.find((x) => x.code === code)!;
    for (const line of sku.kit ?? []) visit(line.sku);
    done.add(code);
    out.push(sku);
  };
  for (const sku of s.skus) visit(sku.code);
  return out;
}

/**
 * The scenario's sale event: its window runs from `startsAt` to the end of the last live session (an hour at
 * least); `traceEndMinute` (when known) stretches it to the trace's last row.
 */
export function saleEventBody(s: Scenario, traceEndMinute: number | null, forecast?: Map<string, number>) {
  const lastMinute = Math.max(60, traceEndMinute ?? 0, ...s.liveSessions.map((l) => l.endsAtMinute));
  const offset = offsetMinutes(s.startsAt);
  return {
    name: s.description.slice(0, 200) || s.name,
    startsAt: toIsoWithOffset(s.startsAtMs, offset),
    endsAt: toIsoWithOffset(s.startsAtMs + lastMinute * 60_000, offset),
    channels: s.channels.map((c) => c.code),
    skus: s.skus.map((k) =>
      forecast?.has(k.code) ? { sku: k.code, forecastUnits: forecast.get(k.code) } : { sku: k.code },
    ),
  };
}

/** The demo's per-order restock budget (money): larger orders wait for the supply manager. */
const DEMO_RESTOCK_BUDGET = 20_000;

/** Where a replay's simulated partners listen: suppliers and couriers get the `http` adapter pointed there. */
export interface PartnerEndpoints {
  url(kind: 'supplier' | 'courier', code: string): string;
  secret: string;
}

export async function loadDemoMasterData(
  apiUrl: string,
  adminToken: string,
  s: Scenario,
  log: (l: string) => void,
  opts: { partners?: PartnerEndpoints; saleEventRecord?: boolean; source?: string } = {},
): Promise<void> {
  const { partners, saleEventRecord = true, source = 'demo' } = opts;
  const adapter = (kind: 'supplier' | 'courier', code: string) =>
    partners
      ? { adapter: 'http', url: partners.url(kind, code), secret: partners.secret }
      : { adapter: 'simulated' };
  const call = apiClient(apiUrl, adminToken);
  for (const r of s.regions)
    await call('PUT', `/v1/regions/${r.code}`, { name: r.name, remote: r.remote, lat: r.lat, lon: r.lon });
  for (const w of s.warehouses) {
    await call('PUT', `/v1/warehouses/${w.code}`, {
      name: w.name,
      region: w.region,
      timezone: w.timezone,
      pickLinesPerHour: w.pickLinesPerHour,
      packStations: w.packStations,
    });
  }
  for (const t of s.transitHours)
    await call('PUT', `/v1/transit-lanes/${t.from}/${t.to}`, { hours: t.hours });
  for (const sku of kitsLast(s)) {
    await call('PUT', `/v1/skus/${sku.code}`, {
      name: sku.name,
      unitPrice: sku.unitPrice,
      tier: sku.tier,
      weightKg: sku.weightKg,
      ...(sku.kit ? { kit: sku.kit } : {}),
      ...(sku.unitCostSource === 'given' ? { unitCost: sku.unitCost } : {}),
    });
  }
  // Demo suppliers answer by themselves (the simulated adapter: a seeded delay in business time), so a restock
  // runs through to its receipt with nobody playing the factory; above the budget the supply manager decides.
  for (const sup of s.suppliers)
    await call('PUT', `/v1/suppliers/${sup.code}`, {
      name: sup.name,
      skus: sup.skus.map((sku) => ({ sku })),
      leadTimeHours: sup.leadTimeHours,
      unitsPerDay: sup.unitsPerDay,
      ...adapter('supplier', sup.code),
    });
  await call('PUT', '/v1/settings/restock-budget', { perOrder: DEMO_RESTOCK_BUDGET });
  // Demo couriers confirm capacity by themselves (the simulated adapter), like the demo suppliers.
  for (const c of s.couriers)
    await call('PUT', `/v1/couriers/${c.code}`, {
      name: c.name,
      regions: c.regions,
      parcelsPerDay: c.parcelsPerDay,
      pricePerParcel: c.pricePerParcel,
      cutoff: c.cutoff,
      ...adapter('courier', c.code),
    });
  for (const c of s.channels) await call('PUT', `/v1/channels/${c.code}`, { name: c.name });
  if (saleEventRecord) await call('PUT', `/v1/sale-events/${s.name}`, saleEventBody(s, null));
  for (const st of s.stock) {
    if (st.onHand <= 0) continue;
    await call('POST', '/v1/stock/adjustments', {
      warehouse: st.warehouse,
      sku: st.sku,
      qty: st.onHand,
      reason: `opening balance (${source} scenario ${s.name})`,
      idempotencyKey: `${source}-opening:${s.name}:${st.warehouse}:${st.sku}`,
    });
  }
  log(
    `${source} data: ${s.warehouses.length} warehouses, ${s.skus.length} SKUs, ${s.suppliers.length} suppliers and ${s.couriers.length} couriers (${partners ? 'simulated partners over http' : 'simulated adapters'}), ${s.channels.length} channels${saleEventRecord ? `, sale event ${s.name}` : ''}`,
  );
}

/** A user for every role, created once; their tokens are kept (0600) because only hashes are stored. */
export async function ensureDemoUsers(
  apiUrl: string,
  adminToken: string,
  file: string,
  s: Scenario | null,
): Promise<DemoUser[]> {
  const call = apiClient(apiUrl, adminToken);
  const known: DemoUser[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoUser[]) : [];
  const wanted: Omit<DemoUser, 'token' | 'id'>[] = [
    { name: 'Ops (demo)', role: 'ops' },
    { name: 'Supply manager (demo)', role: 'supply_manager' },
    { name: 'Viewer (demo)', role: 'viewer' },
    ...(s?.warehouses ?? []).map((w) => ({
      name: `Lead ${w.code} (demo)`,
      role: 'warehouse_lead',
      warehouses: [w.code],
    })),
    ...(s?.channels ?? []).map((c) => ({
      name: `${c.name} (demo channel)`,
      role: 'channel',
      channel: c.code,
    })),
    // A partner per supplier: it can confirm a purchase order before the simulated factory does.
    ...(s?.suppliers ?? []).map((sup) => ({
      name: `${sup.name} (demo partner)`,
      role: 'partner',
      supplier: sup.code,
    })),
  ];
  for (const w of wanted) {
    if (known.some((k) => k.name === w.name)) continue;
    const body = (await call('POST', '/v1/users', { ...w, locale: 'zh-CN' })) as {
      id: string;
      token: string;
    };
    known.push({ ...w, token: body.token, id: body.id });
    writeFileSync(file, JSON.stringify(known, null, 2), { mode: 0o600 });
  }
  return known;
}
