import { useCallback, useEffect, useState } from 'react';
import { ApiError, client, ok, type Me, openStream } from '../api';
import { useI18n } from '../i18n';

interface Task {
  id: string;
  workflowId: string;
  kind: string;
  title: string;
  status: string;
  dueAt: string;
  expiresAt: string | null;
  context: Record<string, unknown>;
  escalationLevel: number;
}

/** "12 min" left, or overdue: business time is what the SLA counts, the browser's clock only ticks it down. */
function useNow(intervalMs = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}

function ContextTable({ context }: { context: Record<string, unknown> }) {
  const { t } = useI18n();
  const rows = Object.entries(context).filter(([, v]) => v !== null && typeof v !== 'object');
  if (!rows.length) return null;
  return (
    <table className="kv" aria-label={t('context')}>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{String(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TaskCard({ task, onDecision, onDone }: { task: Task; onDecision: () => void; onDone: () => void }) {
  const { t, time } = useI18n();
  const now = useNow();
  const [comment, setComment] = useState('');
  const [qty, setQty] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [stage, setStage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const left = Math.round((Date.parse(task.dueAt) - now) / 60_000);

  const decide = async (approve: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await ok(
        client.POST('/v1/tasks/{id}/decision', {
          params: { path: { id: task.id } },
          body: { approve, ...(comment ? { comment } : {}), ...(qty ? { qty: Number(qty) } : {}) },
        }),
      );
      onDecision();
      setStage('…');
      // Follow the workflow on after the decision: its stage arrives over server-sent events.
      const close = await openStream(
        `/v1/workflows/${encodeURIComponent(task.workflowId)}/events`,
        (event, data) => {
          if (event === 'progress') setStage((data as { stage: string }).stage);
        },
      );
      setTimeout(() => {
        close();
        onDone();
      }, 30_000);
    } catch (err) {
      setError(
        err instanceof ApiError
          ? [err.message, ...err.errors.map((e) => `${e.field}: ${e.reason}`)].join(' · ')
          : String(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <article className="card task" aria-label={task.title}>
      <header>
        <h2>{task.title}</h2>
        <span className={left < 0 ? 'badge critical' : 'badge'}>
          {t('due')} {time(task.dueAt)} · {left < 0 ? t('overdue') : `${left} min`}
        </span>
      </header>
      <p className="muted">
        {task.kind} · {task.workflowId}
      </p>
      <ContextTable context={task.context} />
      {stage === null ? (
        <div className="decide">
          <label>
            {t('comment')}
            <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={2000} />
          </label>
          <label>
            {t('partialQty')}
            <input
              inputMode="numeric"
              pattern="[0-9]*"
              value={qty}
              onChange={(e) => setQty(e.target.value)}
            />
          </label>
          <button type="button" disabled={busy} onClick={() => void decide(true)}>
            {t('approve')}
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => void decide(false)}>
            {t('reject')}
          </button>
        </div>
      ) : (
        <p role="status" className="ok">
          {t('decided')} · {t('stage')}: <strong data-testid="stage">{stage}</strong>
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </article>
  );
}

export function Inbox({ me }: { me: Me }) {
  const { t } = useI18n();
  const [tasks, setTasks] = useState<Task[] | null>(null);
  // Decided tasks leave the inbox at once; their cards stay a while to show where the workflow went.
  const [decided, setDecided] = useState<Record<string, Task>>({});
  const load = useCallback(() => {
    ok<{ items: Task[] }>(client.GET('/v1/tasks', { params: { query: { limit: 100 } } }))
      .then((r) => setTasks(r.items))
      .catch(() => setTasks([]));
  }, []);
  useEffect(() => {
    load();
    const id = setInterval(load, 5_000);
    return () => clearInterval(id);
  }, [load]);
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">
        {t('inbox')} <span className="muted">· {me.name}</span>
      </h1>
      {tasks === null ? (
        <p>{t('loading')}</p>
      ) : tasks.length === 0 && !Object.keys(decided).length ? (
        <p>{t('noTasks')}</p>
      ) : null}
      <div className="grid">
        {[...Object.values(decided), ...(tasks ?? []).filter((x) => !decided[x.id])].map((task) => (
          <TaskCard
            key={task.id}
            task={task}
            onDecision={() => setDecided((d) => ({ ...d, [task.id]: task }))}
            onDone={() => {
              setDecided(({ [task.id]: _gone, ...rest }) => rest);
              load();
            }}
          />
        ))}
      </div>
    </section>
  );
}
