import { useEffect, useState } from 'react';
import { client, ok, openStream } from '../api';
import { useI18n } from '../i18n';

interface Progress {
  workflowId: string;
  kind: string;
  status: string;
  stage: string;
  steps: { name: string; status: string; startedAt?: string; endedAt?: string; note?: string }[];
  waitingOn: { who: string; what: string; until?: string } | null;
  eta: string | null;
  startedAt: string;
  updatedAt: string;
  links: { relation: string; workflowId: string }[];
}

const KINDS = [
  'transfer',
  'restock',
  'kit_build',
  'wave_plan',
  'courier_booking',
  'sale_event',
  'notification',
];
const STATUSES = ['running', 'completed', 'failed', 'cancelled'];

function Detail({ id, onOpen }: { id: string; onOpen: (id: string) => void }) {
  const { t, time } = useI18n();
  const [p, setP] = useState<Progress | null>(null);
  // The stream's progress events carry the projection only; the UI link comes with the first read.
  const [temporalUi, setTemporalUi] = useState<string | null>(null);
  const [alerts, setAlerts] = useState<StartedByAlert[]>([]);
  useEffect(() => {
    let close: (() => void) | undefined;
    let gone = false;
    ok<Progress & { temporalUiUrl?: string | null; alerts?: StartedByAlert[] }>(
      client.GET('/v1/workflows/{id}', { params: { path: { id } } }),
    )
      .then((r) => {
        setP(r);
        setTemporalUi(r.temporalUiUrl ?? null);
        setAlerts(r.alerts ?? []);
      })
      .catch(() => setP(null));
    // Live: each change of the workflow's projection arrives as a `progress` event.
    openStream(`/v1/workflows/${encodeURIComponent(id)}/events`, (event, data) => {
      if (event === 'progress') setP(data as Progress);
    })
      .then((c) => (gone ? c() : (close = c)))
      .catch(() => undefined);
    return () => {
      gone = true;
      close?.();
    };
  }, [id]);
  if (!p) return <p>{t('loading')}</p>;
  return (
    <article className="card" aria-label={p.workflowId}>
      <h2>{p.workflowId}</h2>
      <p>
        {t('status')}: <strong>{p.status}</strong> · {t('stage')}:{' '}
        <strong data-testid="wf-stage">{p.stage}</strong>
        {p.eta && ` · ${t('eta')} ${time(p.eta)}`}
      </p>
      {p.waitingOn && (
        <p>
          {t('waitingOn')}: {p.waitingOn.who} — {p.waitingOn.what}
          {p.waitingOn.until && ` (${time(p.waitingOn.until)})`}
        </p>
      )}
      <h3>{t('steps')}</h3>
      <ol className="timeline">
        {p.steps.map((s, i) => (
          <li key={`${s.name}-${i}`} className={`step ${s.status}`}>
            <strong>{s.name}</strong> <span className="muted">{s.status}</span>
            {s.startedAt && <span className="muted"> · {time(s.startedAt)}</span>}
            {s.endedAt && s.endedAt !== s.startedAt && <span className="muted"> → {time(s.endedAt)}</span>}
            {s.note && <div className="small">{s.note}</div>}
          </li>
        ))}
      </ol>
      {p.links.length > 0 && (
        <>
          <h3>{t('links')}</h3>
          <ul>
            {p.links.map((l) => (
              <li key={l.relation + l.workflowId}>
                {l.relation}:{' '}
                <button type="button" className="inline" onClick={() => onOpen(l.workflowId)}>
                  {l.workflowId}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {alerts.length > 0 && (
        <>
          <h3>{t('startedByAlert')}</h3>
          <ul data-testid="wf-alerts">
            {alerts.map((a) => (
              <li key={a.alertId}>
                <span className={`badge ${a.level}`}>{t(a.level)}</span> {a.sku}
                {a.warehouse ? ` @ ${a.warehouse}` : ''} · {a.action} · {time(a.openedAt)} · {a.status}
              </li>
            ))}
          </ul>
        </>
      )}
      {temporalUi && (
        <p>
          <a href={temporalUi} target="_blank" rel="noreferrer" data-testid="temporal-ui">
            {t('openInTemporal')}
          </a>
        </p>
      )}
    </article>
  );
}

interface StartedByAlert {
  alertId: string;
  sku: string;
  warehouse: string | null;
  level: 'notice' | 'warning' | 'critical';
  action: string;
  status: string;
  openedAt: string;
}

export function Workflows() {
  const { t, time } = useI18n();
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [items, setItems] = useState<Progress[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  useEffect(() => {
    const query = {
      limit: 100,
      ...(kind ? { kind } : {}),
      ...(status ? { status: status as 'running' | 'completed' | 'failed' | 'cancelled' } : {}),
    };
    const load = () =>
      ok<{ items: Progress[] }>(client.GET('/v1/workflows', { params: { query } }))
        .then((r) => setItems(r.items))
        .catch(() => setItems([]));
    void load();
    const id = setInterval(() => void load(), 5_000);
    return () => clearInterval(id);
  }, [kind, status]);
  return (
    <section aria-labelledby="wf-title">
      <div className="row">
        <h1 id="wf-title">{t('workflows')}</h1>
        <select value={kind} onChange={(e) => setKind(e.target.value)} aria-label={t('kind')}>
          <option value="">{t('allKinds')}</option>
          {KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <select value={status} onChange={(e) => setStatus(e.target.value)} aria-label={t('status')}>
          <option value="">{t('allStatuses')}</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </div>
      <div className="split">
        <table className="alerts">
          <thead>
            <tr>
              <th scope="col">{t('workflows')}</th>
              <th scope="col">{t('stage')}</th>
              <th scope="col">{t('updated')}</th>
            </tr>
          </thead>
          <tbody>
            {items?.map((w) => (
              <tr key={w.workflowId} aria-selected={w.workflowId === open}>
                <td>
                  <button type="button" className="inline" onClick={() => setOpen(w.workflowId)}>
                    {w.workflowId}
                  </button>
                </td>
                <td>
                  {w.stage} <span className="muted">({w.status})</span>
                </td>
                <td className="small">{time(w.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {open && <Detail id={open} onOpen={setOpen} />}
      </div>
    </section>
  );
}
