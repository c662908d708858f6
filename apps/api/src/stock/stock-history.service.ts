import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  createDemandState,
  type DemandState,
  forecastUnits,
  notFound,
  validationFailed,
} from '@peakstock/domain';
import { queryRows, stockHistory, type StockHistory } from '@peakstock/persistence';
import { ClockService } from '../clock/clock.service';
import type { StockHistoryQuery } from './orders.dto';

const MINUTE_MS = 60_000;
const DEFAULT_WINDOW_MS = 6 * 60 * MINUTE_MS;
/** Enough points for a chart as wide as a screen; more only costs bytes. */
const MAX_POINTS = 360;
const MIN_STEP_SECONDS = 60;
/** How far the forecast line reaches past business now. */
const FORECAST_MINUTES = 120;
/** The alert engine's key of the network-wide series (every warehouse together). */
const NETWORK = '';

export type StockHistoryView = StockHistory & { forecast: { at: string; available: number }[] };

@Injectable()
export class StockHistoryService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
  ) {}

  async history(q: StockHistoryQuery): Promise<StockHistoryView> {
    const nowMs = await this.clock.nowMs();
    // The actual line ends at business now; what lies beyond is the forecast's.
    const toMs = Math.min(q.to ? Date.parse(q.to) : nowMs, nowMs);
    const fromMs = q.from ? Date.parse(q.from) : toMs - DEFAULT_WINDOW_MS;
    if (fromMs >= toMs)
      throw validationFailed([
        { field: 'from', reason: `must be before to and business now (${new Date(toMs).toISOString()})` },
      ]);
    const fewestSeconds = Math.max(MIN_STEP_SECONDS, Math.ceil((toMs - fromMs) / 1000 / MAX_POINTS));
    if (q.step !== undefined && q.step < fewestSeconds)
      throw validationFailed([
        {
          field: 'step',
          reason: `must be at least ${fewestSeconds} s for this window (≤ ${MAX_POINTS} points)`,
        },
      ]);
    const stepSeconds = q.step ?? fewestSeconds;

    const known = await queryRows<{ sku: boolean; warehouse: boolean }>(
      this.db,
      `SELECT EXISTS (SELECT 1 FROM skus WHERE code = $1) AS sku,
              $2::text IS NULL OR EXISTS (SELECT 1 FROM warehouses WHERE code = $2) AS warehouse`,
      [q.sku, q.warehouse ?? null],
    );
    if (!known[0]!.sku) throw notFound('SKU');
    if (!known[0]!.warehouse) throw notFound('warehouse');

    const history = await stockHistory(this.db, {
      sku: q.sku,
      warehouse: q.warehouse,
      fromMs,
      toMs,
      stepSeconds,
    });
    return { ...history, forecast: await this.forecast(q, history, nowMs, toMs, stepSeconds) };
  }

  /**
   * Available stock projected from now with the alert engine's own demand forecast for the series (network or
   * the warehouse), one point per step up to two hours past now. Only when the window reaches now: a window in
   * the past has its actual line. Demand only: arrivals on their way are marked on the chart, not assumed.
   */
  private async forecast(
    q: StockHistoryQuery,
    history: StockHistory,
    nowMs: number,
    toMs: number,
    stepSeconds: number,
  ): Promise<{ at: string; available: number }[]> {
    if (toMs < nowMs) return [];
    const [row] = await queryRows<{ demand: DemandState }>(
      this.db,
      'SELECT demand FROM alert_series WHERE sku = $1 AND warehouse = $2',
      [q.sku, q.warehouse ?? NETWORK],
    );
    const f = forecastUnits(row?.demand ?? createDemandState(), { nowMs, horizonMinutes: FORECAST_MINUTES });
    const last = history.points.at(-1)!;
    const out = [{ at: new Date(nowMs).toISOString(), available: last.available }];
    const stepMinutes = Math.max(1, Math.round(stepSeconds / 60));
    let available = last.available;
    for (let m = 0; m < FORECAST_MINUTES; m++) {
      available -= f.perMinute[m] ?? 0;
      if ((m + 1) % stepMinutes === 0 || m === FORECAST_MINUTES - 1)
        out.push({
          at: new Date(nowMs + (m + 1) * MINUTE_MS).toISOString(),
          available: Math.max(0, Math.round(available * 10) / 10),
        });
    }
    return out;
  }
}
