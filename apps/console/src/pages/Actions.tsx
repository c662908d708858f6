import { type FormEvent, useState } from 'react';
import { client, ok, type Me } from '../api';
import { Field, Outcome, Select, useOptions, useSubmit, type Option } from '../form';
import { useI18n } from '../i18n';
import { FloorActions } from './FloorActions';

function RestockForm({ skus, warehouses }: { skus: Option[]; warehouses: Option[] }) {
  const { t } = useI18n();
  const [sku, setSku] = useState('');
  const [warehouse, setWarehouse] = useState('');
  const [qty, setQty] = useState('');
  const [urgency, setUrgency] = useState<'urgent' | 'normal'>('urgent');
  const [reason, setReason] = useState('');
  const { errors, message, result, submit } = useSubmit();
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
      <Field id="r-reason" label="reason" field="reason" errors={errors}>
        <input
          id="r-reason"
          required
          maxLength={500}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      </Field>
      <button type="submit">{t('submit')}</button>
      <Outcome message={message} started={result?.workflowId ?? null} />
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
  const { errors, message, result, submit } = useSubmit();
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
      <Field id="t-sku" label="sku" field="sku" errors={errors}>
        <Select id="t-sku" value={sku} onChange={setSku} options={skus} />
      </Field>
      <Field id="fromWarehouse" label="fromWarehouse" errors={errors}>
        <Select id="fromWarehouse" value={from} onChange={setFrom} options={warehouses} optional />
      </Field>
      <Field id="toWarehouse" label="toWarehouse" errors={errors}>
        <Select id="toWarehouse" value={to} onChange={setTo} options={warehouses} />
      </Field>
      <Field id="t-qty" label="qty" field="qty" errors={errors}>
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
      <Outcome message={message} started={result?.workflowId ?? null} />
    </form>
  );
}

export function Actions({ me }: { me: Me }) {
  const { t } = useI18n();
  const skus = useOptions('/v1/skus');
  const warehouses = useOptions('/v1/warehouses');
  const supply = me.role === 'ops' || me.role === 'supply_manager';
  return (
    <section aria-labelledby="actions-title">
      <h1 id="actions-title">{t('actions')}</h1>
      <div className="grid">
        {supply && <RestockForm skus={skus} warehouses={warehouses} />}
        {supply && <TransferForm skus={skus} warehouses={warehouses} />}
        <FloorActions me={me} skus={skus} warehouses={warehouses} />
      </div>
    </section>
  );
}
