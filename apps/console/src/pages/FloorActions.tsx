/** The warehouse-floor actions: lock stock for a live session, record a count or a receipt, release a hold. */
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, client, ok, type Me } from '../api';
import { Field, isoOf, newKey, Outcome, Select, useOptions, useSubmit, type Option } from '../form';
import { useI18n } from '../i18n';

const WHOLE = /^[1-9]\d*$/;
const WHOLE_OR_ZERO = /^(0|[1-9]\d*)$/;

interface Line {
  sku: string;
  qty: string;
  warehouse?: string;
}

/** SKU and quantity rows, as many as needed; each row's fields carry the server's path (`locks[1].qty`). */
function Lines(props: {
  name: 'locks' | 'counts';
  lines: Line[];
  onChange: (lines: Line[]) => void;
  skus: Option[];
  warehouses?: Option[];
  errors: { field: string; reason: string }[];
  allowZero?: boolean;
}) {
  const { t } = useI18n();
  const set = (i: number, patch: Partial<Line>) =>
    props.onChange(props.lines.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  return (
    <fieldset className="lines">
      <legend>{t(props.name === 'locks' ? 'lockLines' : 'countLines')}</legend>
      {props.lines.map((line, i) => (
        <div className="line" key={i}>
          <Field id={`${props.name}[${i}].sku`} label="sku" errors={props.errors}>
            <Select
              id={`${props.name}[${i}].sku`}
              value={line.sku}
              onChange={(sku) => set(i, { sku })}
              options={props.skus}
            />
          </Field>
          <Field id={`${props.name}[${i}].qty`} label="qty" errors={props.errors}>
            <input
              id={`${props.name}[${i}].qty`}
              inputMode="numeric"
              pattern={props.allowZero ? '(0|[1-9][0-9]*)' : '[1-9][0-9]*'}
              required
              value={line.qty}
              onChange={(e) => set(i, { qty: e.target.value })}
            />
          </Field>
          {props.warehouses && (
            <Field id={`${props.name}[${i}].warehouse`} label="warehouseOptional" errors={props.errors}>
              <Select
                id={`${props.name}[${i}].warehouse`}
                value={line.warehouse ?? ''}
                onChange={(warehouse) => set(i, { warehouse })}
                options={props.warehouses}
                optional
              />
            </Field>
          )}
          {props.lines.length > 1 && (
            <button
              type="button"
              className="link"
              onClick={() => props.onChange(props.lines.filter((_, j) => j !== i))}
            >
              {t('removeLine')}
            </button>
          )}
        </div>
      ))}
      <button
        type="button"
        className="link"
        onClick={() => props.onChange([...props.lines, { sku: '', qty: '' }])}
      >
        {t('addLine')}
      </button>
    </fieldset>
  );
}

function LiveSessionForm({ skus, warehouses }: { skus: Option[]; warehouses: Option[] }) {
  const { t } = useI18n();
  const channels = useOptions('/v1/channels');
  const [id, setId] = useState(() => `live-${new Date().toISOString().slice(0, 10)}-${newKey().slice(0, 4)}`);
  const [channel, setChannel] = useState('');
  const [startsAt, setStartsAt] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const [lines, setLines] = useState<Line[]>([{ sku: '', qty: '' }]);
  const { errors, message, result, submit } = useSubmit<{ id: string; status: string }>();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!lines.every((l) => WHOLE.test(l.qty))) return;
    const body = {
      id,
      channel,
      startsAt: isoOf(startsAt),
      endsAt: isoOf(endsAt),
      locks: lines.map((l) => ({
        sku: l.sku,
        qty: Number(l.qty),
        ...(l.warehouse ? { warehouse: l.warehouse } : {}),
      })),
    };
    void submit(() => ok(client.POST('/v1/live-sessions', { body })));
  };
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="live-title">
      <h2 id="live-title">{t('liveSession')}</h2>
      <Field id="id" label="liveSessionId" errors={errors}>
        <input id="id" required maxLength={100} value={id} onChange={(e) => setId(e.target.value)} />
      </Field>
      <Field id="channel" label="channel" errors={errors}>
        <Select id="channel" value={channel} onChange={setChannel} options={channels} />
      </Field>
      <Field id="startsAt" label="startsAt" errors={errors}>
        <input
          id="startsAt"
          type="datetime-local"
          required
          value={startsAt}
          onChange={(e) => setStartsAt(e.target.value)}
        />
      </Field>
      <Field id="endsAt" label="endsAt" errors={errors}>
        <input
          id="endsAt"
          type="datetime-local"
          required
          value={endsAt}
          onChange={(e) => setEndsAt(e.target.value)}
        />
      </Field>
      <Lines
        name="locks"
        lines={lines}
        onChange={setLines}
        skus={skus}
        warehouses={warehouses}
        errors={errors}
      />
      <button type="submit">{t('lockStock')}</button>
      {result ? (
        <p role="status" className="ok">
          {t('locked')}: <code data-testid="session">{result.id}</code> ({result.status})
        </p>
      ) : (
        <Outcome message={message} started={null} />
      )}
    </form>
  );
}

interface CountResult {
  lines: { sku: string; book: number; physical: number; delta: number; valueAtCost: number }[];
  totalValueAtCost: number;
  shortfall: unknown[];
}

function CountForm({ skus, warehouses }: { skus: Option[]; warehouses: Option[] }) {
  const { t, num } = useI18n();
  const [warehouse, setWarehouse] = useState('');
  const [lines, setLines] = useState<Line[]>([{ sku: '', qty: '' }]);
  // One key per count filled in: a resend after a lost answer is the same count, never a second one.
  const [key, setKey] = useState(newKey);
  const { errors, message, result, submit } = useSubmit<CountResult>();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!lines.every((l) => WHOLE_OR_ZERO.test(l.qty))) return;
    const body = {
      warehouse,
      counts: lines.map((l) => ({ sku: l.sku, qty: Number(l.qty) })),
      idempotencyKey: key,
    };
    void submit(async () => {
      const r = await ok<CountResult>(client.POST('/v1/stock/counts', { body }));
      setKey(newKey());
      return r;
    });
  };
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="count-title">
      <h2 id="count-title">{t('count')}</h2>
      <Field id="c-warehouse" label="warehouse" field="warehouse" errors={errors}>
        <Select id="c-warehouse" value={warehouse} onChange={setWarehouse} options={warehouses} />
      </Field>
      <Lines name="counts" lines={lines} onChange={setLines} skus={skus} errors={errors} allowZero />
      <button type="submit">{t('recordCount')}</button>
      {result ? (
        <table className="alerts" data-testid="discrepancies">
          <caption className="caption">{t('discrepancies')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('sku')}</th>
              <th scope="col">{t('book')}</th>
              <th scope="col">{t('physical')}</th>
              <th scope="col">{t('delta')}</th>
              <th scope="col">{t('valueAtCost')}</th>
            </tr>
          </thead>
          <tbody>
            {result.lines.map((l) => (
              <tr key={l.sku}>
                <td>{l.sku}</td>
                <td>{num(l.book)}</td>
                <td>{num(l.physical)}</td>
                <td className={l.delta < 0 ? 'bad' : l.delta > 0 ? 'good' : undefined}>{num(l.delta)}</td>
                <td>{num(l.valueAtCost, 2)}</td>
              </tr>
            ))}
            <tr>
              <th scope="row" colSpan={4}>
                {t('total')}
              </th>
              <td>{num(result.totalValueAtCost, 2)}</td>
            </tr>
          </tbody>
        </table>
      ) : (
        <Outcome message={message} started={null} />
      )}
    </form>
  );
}

function ReceiptForm() {
  const { t } = useI18n();
  const [kind, setKind] = useState<'restock' | 'transfer'>('transfer');
  const [running, setRunning] = useState<{ workflowId: string; stage: string }[]>([]);
  const [id, setId] = useState('');
  const [qty, setQty] = useState('');
  const [final, setFinal] = useState(false);
  const [key, setKey] = useState(newKey);
  const { errors, message, result, submit } = useSubmit<Record<string, unknown>>();
  useEffect(() => {
    ok<{ items: { workflowId: string; stage: string }[] }>(
      client.GET('/v1/workflows', { params: { query: { kind, status: 'running', limit: 100 } } }),
    )
      .then((r) => setRunning(r.items))
      .catch(() => setRunning([]));
  }, [kind, result]);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!WHOLE.test(qty) || !id) return;
    const body = { qty: Number(qty), final, idempotencyKey: key };
    const path = { params: { path: { id } }, body };
    void submit(async () => {
      const r = await ok<Record<string, unknown>>(
        kind === 'restock'
          ? client.POST('/v1/restocks/{id}/receipts', path)
          : client.POST('/v1/transfers/{id}/receipts', path),
      );
      setKey(newKey());
      return r;
    });
  };
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="receipt-title">
      <h2 id="receipt-title">{t('receipt')}</h2>
      <Field id="r-kind" label="kind" errors={[]}>
        <select
          id="r-kind"
          value={kind}
          onChange={(e) => setKind(e.target.value === 'restock' ? 'restock' : 'transfer')}
        >
          <option value="transfer">{t('transfer')}</option>
          <option value="restock">{t('restock')}</option>
        </select>
      </Field>
      <Field id="r-id" label="workflow" errors={[]}>
        <select id="r-id" required value={id} onChange={(e) => setId(e.target.value)}>
          <option value="">—</option>
          {running.map((w) => (
            <option key={w.workflowId} value={w.workflowId}>
              {w.workflowId} · {w.stage}
            </option>
          ))}
        </select>
      </Field>
      <Field id="qty" label="qty" errors={errors}>
        <input
          id="qty"
          inputMode="numeric"
          pattern="[1-9][0-9]*"
          required
          value={qty}
          onChange={(e) => setQty(e.target.value)}
        />
      </Field>
      <label className="check">
        <input type="checkbox" checked={final} onChange={(e) => setFinal(e.target.checked)} />{' '}
        {t('finalDelivery')}
      </label>
      <button type="submit">{t('recordReceipt')}</button>
      {result ? (
        <p role="status" className="ok" data-testid="receipt">
          {t('received')}: {String(result.received ?? qty)}
          {result.outstanding !== undefined ? ` · ${t('outstanding')}: ${String(result.outstanding)}` : ''}
        </p>
      ) : (
        <Outcome message={message} started={null} />
      )}
    </form>
  );
}

interface Hold {
  id: string;
  warehouse: string;
  sku: string;
  qty: number;
  alertId: string | null;
  createdAt: string;
}

function Holds({ canRelease }: { canRelease: boolean }) {
  const { t, num, time } = useI18n();
  const [holds, setHolds] = useState<Hold[] | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    () =>
      ok<{ items: Hold[] }>(
        client.GET('/v1/stock/holds', { params: { query: { status: 'active', limit: 100 } } }),
      )
        .then((r) => setHolds(r.items))
        .catch(() => setHolds([])),
    [],
  );
  useEffect(() => void load(), [load]);
  const release = async (id: string) => {
    setError(null);
    try {
      await ok(
        client.POST('/v1/stock/holds/{id}/release', {
          params: { path: { id } },
          body: comment ? { comment } : {},
        }),
      );
      await load();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <section className="card" aria-labelledby="holds-title">
      <h2 id="holds-title">{t('holds')}</h2>
      <p className="help">{t('holdsHelp')}</p>
      {canRelease && (
        <div className="field">
          <label htmlFor="hold-comment">{t('comment')}</label>
          <input
            id="hold-comment"
            maxLength={500}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
        </div>
      )}
      {holds === null ? (
        <p>{t('loading')}</p>
      ) : holds.length === 0 ? (
        <p>{t('none')}</p>
      ) : (
        <ul className="holds">
          {holds.map((h) => (
            <li key={h.id}>
              <span>
                {h.sku} @ {h.warehouse}: {num(h.qty)} · {time(h.createdAt)}
              </span>
              {canRelease && (
                <button
                  type="button"
                  onClick={() => void release(h.id)}
                  aria-label={`${t('release')} ${h.sku} @ ${h.warehouse}`}
                >
                  {t('release')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** What each role may do here follows the route table: the page shows only the forms the API would accept. */
export function FloorActions({ me, skus, warehouses }: { me: Me; skus: Option[]; warehouses: Option[] }) {
  const ops = me.role === 'ops' || me.role === 'admin';
  const lead = me.role === 'warehouse_lead';
  const mine = lead ? warehouses.filter((w) => me.warehouses.includes(w.code)) : warehouses;
  return (
    <>
      {ops && <LiveSessionForm skus={skus} warehouses={warehouses} />}
      {(me.role === 'ops' || lead) && <CountForm skus={skus} warehouses={mine} />}
      {lead && <ReceiptForm />}
      {me.role !== 'channel' && me.role !== 'partner' && <Holds canRelease={ops} />}
    </>
  );
}
