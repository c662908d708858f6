import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { ApiError, client, ok, type FieldError } from '../api';
import { type LabelKey, useI18n } from '../i18n';

interface Option {
  code: string;
  name: string;
}

/** A field with its server error next to it (the API names the field it refuses). */
function Field(props: { id: string; label: LabelKey; errors: FieldError[]; children: ReactNode }) {
  const { t } = useI18n();
  const mine = props.errors.filter((e) => e.field === props.id || e.field.startsWith(`${props.id}.`));
  return (
    <div className="field">
      <label htmlFor={props.id}>{t(props.label)}</label>
      {props.children}
      {mine.map((e) => (
        <p key={e.field + e.reason} className="error" role="alert">
          {e.reason}
        </p>
      ))}
    </div>
  );
}

function useOptions(path: '/v1/skus' | '/v1/warehouses'): Option[] {
  const [items, setItems] = useState<Option[]>([]);
  useEffect(() => {
    ok<{ items: Option[] }>(client.GET(path, { params: { query: { limit: 500 } } }))
      .then((r) => setItems(r.items))
      .catch(() => setItems([]));
  }, [path]);
  return items;
}

function Select({
  id,
  value,
  onChange,
  options,
  optional,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  options: Option[];
  optional?: boolean;
}) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required={!optional}>
      <option value="">—</option>
      {options.map((o) => (
        <option key={o.code} value={o.code}>
          {o.code} · {o.name}
        </option>
      ))}
    </select>
  );
}

/** Submits a form's body; answers the started workflow or the field errors. */
function useSubmit() {
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [started, setStarted] = useState<string | null>(null);
  const submit = async (send: () => Promise<{ workflowId: string }>) => {
    setErrors([]);
    setMessage(null);
    setStarted(null);
    try {
      const r = await send();
      setStarted(r.workflowId);
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.errors);
        setMessage(err.message);
      } else setMessage(String(err));
    }
  };
  return { errors, message, started, submit };
}

function Outcome({ message, started }: { message: string | null; started: string | null }) {
  const { t } = useI18n();
  if (started)
    return (
      <p role="status" className="ok">
        {t('started')}: <code data-testid="started">{started}</code>
      </p>
    );
  return message ? (
    <p role="alert" className="error">
      {message}
    </p>
  ) : null;
}

function RestockForm({ skus, warehouses }: { skus: Option[]; warehouses: Option[] }) {
  const { t } = useI18n();
  const [sku, setSku] = useState('');
  const [warehouse, setWarehouse] = useState('');
  const [qty, setQty] = useState('');
  const [urgency, setUrgency] = useState<'urgent' | 'normal'>('urgent');
  const [reason, setReason] = useState('');
  const { errors, message, started, submit } = useSubmit();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    // Checked here first (a whole positive number), then by the server, which names any field it refuses.
    if (qty && !/^[1-9]\d*$/.test(qty)) return;
    const body = { sku, warehouse, urgency, reason, ...(qty ? { qty: Number(qty) } : {}) };
    void submit(() => ok(client.POST('/v1/restocks', { body })));
  };
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="restock-title">
      <h2 id="restock-title">{t('restock')}</h2>
      <Field id="sku" label="sku" errors={errors}>
        <Select id="sku" value={sku} onChange={setSku} options={skus} />
      </Field>
      <Field id="warehouse" label="warehouse" errors={errors}>
        <Select id="warehouse" value={warehouse} onChange={setWarehouse} options={warehouses} />
      </Field>
      <Field id="qty" label="qtyOptional" errors={errors}>
        <input
          id="qty"
          inputMode="numeric"
          pattern="[1-9][0-9]*"
          value={qty}
          onChange={(e) => setQty(e.target.value)}
        />
      </Field>
      <Field id="urgency" label="urgency" errors={errors}>
        <select
          id="urgency"
          value={urgency}
          onChange={(e) => setUrgency(e.target.value === 'normal' ? 'normal' : 'urgent')}
        >
          <option value="urgent">{t('urgent')}</option>
          <option value="normal">{t('normal')}</option>
        </select>
      </Field>
      <Field
        id="r-reason"
        label="reason"
        errors={errors.map((e) => ({ ...e, field: e.field === 'reason' ? 'r-reason' : e.field }))}
      >
        <input
          id="r-reason"
          required
          maxLength={500}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      </Field>
      <button type="submit">{t('submit')}</button>
      <Outcome message={message} started={started} />
    </form>
  );
}

function TransferForm({ skus, warehouses }: { skus: Option[]; warehouses: Option[] }) {
  const { t } = useI18n();
  const [sku, setSku] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [qty, setQty] = useState('');
  const [reason, setReason] = useState('');
  const { errors, message, started, submit } = useSubmit();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!/^[1-9]\d*$/.test(qty)) return;
    const body = {
      sku,
      toWarehouse: to,
      qty: Number(qty),
      ...(from ? { fromWarehouse: from } : {}),
      ...(reason ? { reason } : {}),
    };
    void submit(() => ok(client.POST('/v1/transfers', { body })));
  };
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="transfer-title">
      <h2 id="transfer-title">{t('transfer')}</h2>
      <Field
        id="t-sku"
        label="sku"
        errors={errors.map((e) => ({ ...e, field: e.field === 'sku' ? 't-sku' : e.field }))}
      >
        <Select id="t-sku" value={sku} onChange={setSku} options={skus} />
      </Field>
      <Field id="fromWarehouse" label="fromWarehouse" errors={errors}>
        <Select id="fromWarehouse" value={from} onChange={setFrom} options={warehouses} optional />
      </Field>
      <Field id="toWarehouse" label="toWarehouse" errors={errors}>
        <Select id="toWarehouse" value={to} onChange={setTo} options={warehouses} />
      </Field>
      <Field
        id="t-qty"
        label="qty"
        errors={errors.map((e) => ({ ...e, field: e.field === 'qty' ? 't-qty' : e.field }))}
      >
        <input
          id="t-qty"
          inputMode="numeric"
          pattern="[1-9][0-9]*"
          required
          value={qty}
          onChange={(e) => setQty(e.target.value)}
        />
      </Field>
      <Field id="reason" label="reason" errors={errors}>
        <input id="reason" maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <button type="submit">{t('submit')}</button>
      <Outcome message={message} started={started} />
    </form>
  );
}

export function Actions() {
  const { t } = useI18n();
  const skus = useOptions('/v1/skus');
  const warehouses = useOptions('/v1/warehouses');
  return (
    <section aria-labelledby="actions-title">
      <h1 id="actions-title">{t('actions')}</h1>
      <div className="grid">
        <RestockForm skus={skus} warehouses={warehouses} />
        <TransferForm skus={skus} warehouses={warehouses} />
      </div>
    </section>
  );
}
