import { useEffect, useMemo, useState } from 'react';
import { ApiError, client, ok, type Me } from '../api';
import { Supply } from './Supply';
import { useI18n } from '../i18n';

interface Wave {
  id: string;
  index: number;
  class: string;
  start: string;
  end: string;
  cutoff: string;
  courier: string;
  orders: string[];
  orderCount: number;
  handedOver: number;
  status: string;
  late: boolean;
  utilisation: number;
}

interface Plan {
  workflowId: string;
  cycle: number;
  warehouse: string;
  from: string;
  to: string;
  status: string;
  waves: Wave[];
  infeasible: { orderId: string; code: string }[] | null;
}

/** Waves as bars on the plan's time line (a Gantt chart), with their courier cut-offs marked. */
function Gantt({ plan }: { plan: Plan }) {
  const { t, clock, num } = useI18n();
  const times = plan.waves.flatMap((w) => [Date.parse(w.start), Date.parse(w.end), Date.parse(w.cutoff)]);
  const from = Math.min(Date.parse(plan.from), ...times);
  const to = Math.max(Date.parse(plan.to), ...times);
  const pct = (ms: number) => `${(((ms - from) / Math.max(1, to - from)) * 100).toFixed(2)}%`;
  const ticks = Array.from({ length: 7 }, (_, i) => from + ((to - from) * i) / 6);
  return (
    <div className="gantt" role="img" aria-label={`${t('plan')} ${plan.workflowId}`}>
      <div className="gantt-axis">
        {ticks.map((tk) => (
          <span key={tk} style={{ left: pct(tk) }}>
            {clock(tk)}
          </span>
        ))}
      </div>
      {plan.waves.map((w) => (
        <div key={w.id} className="gantt-row">
          <span className="gantt-label">
            {t('wave')} {w.index} · {w.class}
          </span>
          <div className="gantt-lane">
            <div
              className={`gantt-bar ${w.late ? 'late' : w.status}`}
              style={{
                left: pct(Date.parse(w.start)),
                width: `calc(${pct(Date.parse(w.end))} - ${pct(Date.parse(w.start))})`,
              }}
              title={`${clock(Date.parse(w.start))}–${clock(Date.parse(w.end))}`}
            >
              {num(w.orderCount)}
            </div>
            <div
              className="gantt-cutoff"
              style={{ left: pct(Date.parse(w.cutoff)) }}
              title={`${t('cutoff')} ${w.courier}`}
            />
          </div>
        </div>
      ))}
    </div>
  );
}

function PlanView({ id, me }: { id: string; me: Me }) {
  const { t, time, num } = useI18n();
  const [plan, setPlan] = useState<Plan | null>(null);
  const [moves, setMoves] = useState<Record<string, number>>({});
  const [message, setMessage] = useState<string | null>(null);
  const load = useMemo(
    () => () =>
      ok<Plan>(client.GET('/v1/wave-plans/{id}', { params: { path: { id } } }))
        .then(setPlan)
        .catch(() => setPlan(null)),
    [id],
  );
  useEffect(() => {
    void load();
    setMoves({});
    // The workflow acts on a decision (and releases waves) after the request: the view keeps up with it.
    const timer = setInterval(() => void load(), 3_000);
    return () => clearInterval(timer);
  }, [load]);
  if (!plan) return <p>{t('loading')}</p>;
  const canDecide = plan.status === 'proposed' && (me.role === 'ops' || me.role === 'supply_manager');
  const decide = async (approve: boolean) => {
    setMessage(null);
    try {
      const list = Object.entries(moves).map(([orderId, toWave]) => ({ orderId, toWave }));
      await ok(
        client.POST('/v1/wave-plans/{id}/decision', {
          params: { path: { id } },
          body: { approve, ...(approve && list.length ? { moves: list } : {}) },
        }),
      );
      setMoves({});
      await load();
    } catch (err) {
      setMessage(
        err instanceof ApiError
          ? [err.message, ...err.errors.map((e) => `${e.field}: ${e.reason}`)].join(' · ')
          : String(err),
      );
    }
  };
  return (
    <article className="card">
      <h2>
        {plan.warehouse} · {t('plan')} {plan.cycle} · <span data-testid="plan-status">{plan.status}</span>
      </h2>
      <p className="muted">
        {t('window')} {time(plan.from)} – {time(plan.to)}
      </p>
      <Gantt plan={plan} />
      <table className="alerts">
        <thead>
          <tr>
            <th scope="col">{t('wave')}</th>
            <th scope="col">{t('orders')}</th>
            <th scope="col">{t('courier')}</th>
            <th scope="col">{t('cutoff')}</th>
            <th scope="col">{t('status')}</th>
          </tr>
        </thead>
        <tbody>
          {plan.waves.map((w) => (
            <tr key={w.id}>
              <td>
                {w.index} · {w.class}
              </td>
              <td>
                {num(w.handedOver)} / {num(w.orderCount)}
                {canDecide && (
                  <details>
                    <summary>{t('moveTo')}</summary>
                    {w.orders.map((o) => (
                      <label key={o} className="move">
                        <code>{o.slice(0, 8)}</code>
                        <select
                          aria-label={`${t('moveTo')} ${o}`}
                          value={moves[o] ?? w.index}
                          onChange={(e) => {
                            const to = Number(e.target.value);
                            setMoves(({ [o]: _old, ...rest }) =>
                              to === w.index ? rest : { ...rest, [o]: to },
                            );
                          }}
                        >
                          {plan.waves.map((x) => (
                            <option key={x.index} value={x.index}>
                              {x.index}
                            </option>
                          ))}
                        </select>
                      </label>
                    ))}
                  </details>
                )}
              </td>
              <td>{w.courier}</td>
              <td>{time(w.cutoff)}</td>
              <td>{w.late ? <span className="pill critical">{t('late')}</span> : w.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {canDecide && (
        <div className="decide">
          {Object.keys(moves).length > 0 && (
            <span>
              {num(Object.keys(moves).length)} {t('movesPending')}
            </span>
          )}
          <button type="button" onClick={() => void decide(true)}>
            {t('approvePlan')}
          </button>
          <button type="button" className="secondary" onClick={() => void decide(false)}>
            {t('rejectPlan')}
          </button>
        </div>
      )}
      {message && (
        <p role="alert" className="error">
          {message}
        </p>
      )}
    </article>
  );
}

export function Plans({ me }: { me: Me }) {
  const { t } = useI18n();
  const [plans, setPlans] = useState<{ workflowId: string; status: string; stage: string }[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  useEffect(() => {
    ok<{ items: { workflowId: string; status: string; stage: string }[] }>(
      client.GET('/v1/workflows', { params: { query: { kind: 'wave_plan', limit: 50 } } }),
    )
      .then((r) => {
        setPlans(r.items);
        setOpen((o) => o ?? r.items[0]?.workflowId ?? null);
      })
      .catch(() => setPlans([]));
  }, []);
  return (
    <section aria-labelledby="plans-title">
      <div className="row">
        <h1 id="plans-title">{t('plans')}</h1>
        {plans && plans.length > 0 && (
          <select value={open ?? ''} onChange={(e) => setOpen(e.target.value)} aria-label={t('plan')}>
            {plans.map((p) => (
              <option key={p.workflowId} value={p.workflowId}>
                {p.workflowId} · {p.stage}
              </option>
            ))}
          </select>
        )}
      </div>
      {plans?.length === 0 && <p>{t('noPlans')}</p>}
      {open && <PlanView id={open} me={me} />}
      <Supply me={me} />
    </section>
  );
}
