import { useEffect, useMemo, useRef, useState } from 'react';
import { LineChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { client, ok, openStream } from '../api';
import { useOptions } from '../form';
import { useI18n } from '../i18n';

echarts.use([
  LineChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  TooltipComponent,
  SVGRenderer,
]);

interface Kpis {
  at: string;
  orders: { perMinute: number; accepted: number; rejected: number; cancelled: number; presale: number };
  alerts: { open: { notice: number; warning: number; critical: number } };
  workflows: { total: number; byStage: Record<string, number> };
  stock: { skus: number; available: number; stockedOut: number };
  oversold: number;
}

interface History {
  points: { at: string; available: number }[];
  forecast: { at: string; available: number }[];
  alerts: { id: string; level: 'notice' | 'warning' | 'critical'; openedAt: string }[];
  arrivals: { at: string; warehouse: string; kind: string; qty: number }[];
}

interface Alert {
  id: string;
  sku: string;
  warehouse: string | null;
  level: 'notice' | 'warning' | 'critical';
  openedAt: string;
  latest: { available?: number; forecastUnits?: number; minutesToStockout?: number | null } | null;
  decisions: { action: string; workflowId?: string; skipped?: string }[];
}

const LEVEL_COLOUR = { notice: '#8a6d00', warning: '#b35900', critical: '#b3261e' } as const;

function KpiStrip({ k }: { k: Kpis }) {
  const { t, num } = useI18n();
  const stages = Object.entries(k.workflows.byStage).sort((a, b) => b[1] - a[1]);
  return (
    <dl className="kpis" aria-label="KPI">
      <div>
        <dt>{t('ordersPerMinute')}</dt>
        <dd>{num(k.orders.perMinute, 1)}</dd>
      </div>
      <div>
        <dt>
          {t('accepted')} / {t('rejected')}
        </dt>
        <dd>
          {num(k.orders.accepted)} / {num(k.orders.rejected)}
        </dd>
      </div>
      <div>
        <dt>{t('openAlerts')}</dt>
        <dd>
          {(['critical', 'warning', 'notice'] as const).map((l) => (
            <span key={l} className={`pill ${l}`} title={t(l)}>
              {t(l)} {num(k.alerts.open[l])}
            </span>
          ))}
        </dd>
      </div>
      <div>
        <dt>{t('workflowsByStage')}</dt>
        <dd className="small">
          {stages.length
            ? stages
                .slice(0, 4)
                .map(([s, n]) => `${s} ${num(n)}`)
                .join(' · ')
            : t('none')}
        </dd>
      </div>
      <div>
        <dt>{t('stockedOut')}</dt>
        <dd>
          {num(k.stock.stockedOut)} / {num(k.stock.skus)}
        </dd>
      </div>
      <div>
        <dt>{t('oversold')}</dt>
        <dd className={k.oversold ? 'bad' : 'good'}>{num(k.oversold)}</dd>
      </div>
    </dl>
  );
}

function SkuChart({ sku, refreshKey }: { sku: string; refreshKey: string }) {
  const { t, clock } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const [history, setHistory] = useState<History | null>(null);
  useEffect(() => {
    ok<History>(client.GET('/v1/stock/history', { params: { query: { sku } } }))
      .then(setHistory)
      .catch(() => setHistory(null));
  }, [sku, refreshKey]);
  useEffect(() => {
    if (!ref.current || !history) return;
    const chart =
      echarts.getInstanceByDom(ref.current) ?? echarts.init(ref.current, undefined, { renderer: 'svg' });
    const xy = (p: { at: string; available: number }) => [Date.parse(p.at), p.available];
    chart.setOption(
      {
        animation: false,
        grid: { left: 48, right: 16, top: 28, bottom: 28 },
        tooltip: { trigger: 'axis' },
        legend: { data: [t('available'), t('forecast')], top: 0 },
        xAxis: { type: 'time', axisLabel: { formatter: (v: number) => clock(v), hideOverlap: true } },
        yAxis: { type: 'value', min: 0 },
        series: [
          {
            name: t('available'),
            type: 'line',
            showSymbol: false,
            step: 'end',
            data: history.points.map(xy),
            markLine: {
              symbol: 'none',
              data: history.alerts.map((a) => ({
                xAxis: Date.parse(a.openedAt),
                lineStyle: { color: LEVEL_COLOUR[a.level], type: 'solid' },
                label: { formatter: t(a.level), color: LEVEL_COLOUR[a.level] },
              })),
            },
            markPoint: {
              symbol: 'triangle',
              symbolSize: 12,
              data: history.arrivals.map((a) => ({
                coord: [Date.parse(a.at), 0],
                value: a.qty,
                itemStyle: { color: '#1b7a3a' },
                label: { show: false },
                name: `${t('arrivals')} ${a.warehouse} +${a.qty}`,
              })),
            },
          },
          {
            name: t('forecast'),
            type: 'line',
            showSymbol: false,
            lineStyle: { type: 'dashed' },
            data: history.forecast.map(xy),
          },
        ],
      },
      true,
    );
    const onResize = () => chart.resize();
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, [history, t, clock]);
  useEffect(
    () => () => {
      if (ref.current) echarts.getInstanceByDom(ref.current)?.dispose();
    },
    [],
  );
  return (
    <figure className="card chart">
      <figcaption>{sku}</figcaption>
      <div
        ref={ref}
        className="chart-area"
        role="img"
        aria-label={`${sku}: ${t('available')}, ${t('forecast')}, ${t('alerts')}`}
      />
    </figure>
  );
}

export function WarRoom() {
  const { t, num, time } = useI18n();
  const events = useOptions('/v1/sale-events');
  const [saleEvent, setSaleEvent] = useState('');
  const [kpis, setKpis] = useState<Kpis | null>(null);
  const [live, setLive] = useState(false);
  const [skus, setSkus] = useState<string[]>([]);
  const [alerts, setAlerts] = useState<Alert[]>([]);

  useEffect(() => {
    // The hero SKUs (tier A) get a chart each.
    ok<{ items: { code: string; tier: string }[] }>(
      client.GET('/v1/skus', { params: { query: { limit: 500 } } }),
    )
      .then((r) =>
        setSkus(
          r.items
            .filter((s) => s.tier === 'A')
            .slice(0, 6)
            .map((s) => s.code),
        ),
      )
      .catch(() => setSkus([]));
  }, []);
  useEffect(() => {
    const q = saleEvent ? `?saleEvent=${encodeURIComponent(saleEvent)}` : '';
    let close: (() => void) | undefined;
    let cancelled = false;
    ok<Kpis>(client.GET('/v1/kpis', { params: { query: saleEvent ? { saleEvent } : {} } }))
      .then(setKpis)
      .catch(() => setKpis(null));
    openStream(`/v1/kpis/stream${q}`, (event, data) => {
      if (event === 'kpis') {
        setKpis(data as Kpis);
        setLive(true);
      }
    })
      .then((c) => (cancelled ? c() : (close = c)))
      .catch(() => setLive(false));
    return () => {
      cancelled = true;
      close?.();
      setLive(false);
    };
  }, [saleEvent]);
  // Charts and alerts follow the strip: a change of figures is a reason to look again.
  const refreshKey = useMemo(
    () => (kpis ? `${kpis.orders.accepted}:${kpis.workflows.total}:${kpis.alerts.open.warning}` : ''),
    [kpis],
  );
  useEffect(() => {
    ok<{ items: Alert[] }>(client.GET('/v1/alerts', { params: { query: { status: 'open', limit: 50 } } }))
      .then((r) => setAlerts(r.items))
      .catch(() => setAlerts([]));
  }, [refreshKey]);

  return (
    <section aria-labelledby="war-title">
      <div className="row">
        <h1 id="war-title">{t('warRoom')}</h1>
        <label>
          <span className="sr-only">{t('saleEvent')}</span>
          <select
            value={saleEvent}
            onChange={(e) => setSaleEvent(e.target.value)}
            aria-label={t('saleEvent')}
          >
            <option value="">{t('wholePool')}</option>
            {events.map((e) => (
              <option key={e.code} value={e.code}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        {live && <span className="pill live">● {t('live')}</span>}
        {kpis && <span className="muted">{time(kpis.at)}</span>}
      </div>
      {kpis ? <KpiStrip k={kpis} /> : <p>{t('loading')}</p>}
      <div className="grid charts">
        {skus.map((sku) => (
          <SkuChart key={sku} sku={sku} refreshKey={refreshKey} />
        ))}
      </div>
      <h2>{t('openAlerts')}</h2>
      {alerts.length === 0 ? (
        <p>{t('none')}</p>
      ) : (
        <table className="alerts">
          <thead>
            <tr>
              <th scope="col">{t('sku')}</th>
              <th scope="col">{t('warehouse')}</th>
              <th scope="col">{t('alerts')}</th>
              <th scope="col">{t('available')}</th>
              <th scope="col">{t('forecast')}</th>
              <th scope="col">{t('workflows')}</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id}>
                <td>{a.sku}</td>
                <td>{a.warehouse ?? '—'}</td>
                <td>
                  <span className={`pill ${a.level}`}>{t(a.level)}</span> {time(a.openedAt)}
                </td>
                <td>{a.latest?.available !== undefined ? num(a.latest.available) : '—'}</td>
                <td>{a.latest?.forecastUnits !== undefined ? num(a.latest.forecastUnits) : '—'}</td>
                <td className="small">
                  {a.decisions
                    .filter((d) => d.workflowId)
                    .map((d) => `${d.action} ${d.workflowId}`)
                    .join(' · ') || '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
