/** Form pieces the action pages share: fields with the server's error next to them, pickers, submission. */
import { type ReactNode, useEffect, useState } from 'react';
import { ApiError, client, ok, type FieldError } from './api';
import { type LabelKey, useI18n } from './i18n';

export interface Option {
  code: string;
  name: string;
}

/** A field with its server error next to it (the API names the field it refuses). */
export function Field(props: {
  id: string;
  /** The field's name in the API's errors, when the element's id differs (two forms on a page). */
  field?: string;
  label: LabelKey;
  errors: FieldError[];
  children: ReactNode;
}) {
  const { t } = useI18n();
  const name = props.field ?? props.id;
  const mine = props.errors.filter((e) => e.field === name || e.field.startsWith(`${name}.`));
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

export function useOptions(
  path: '/v1/skus' | '/v1/warehouses' | '/v1/channels' | '/v1/sale-events',
): Option[] {
  const [items, setItems] = useState<Option[]>([]);
  useEffect(() => {
    ok<{ items: Option[] }>(client.GET(path, { params: { query: { limit: 500 } } }))
      .then((r) => setItems(r.items))
      .catch(() => setItems([]));
  }, [path]);
  return items;
}

export function Select({
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

/** Sends a form (the call given); keeps its answer, or the refusal's message and the fields it names. */
export function useSubmit<T = { workflowId: string }>() {
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [result, setResult] = useState<T | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (send: () => Promise<T>) => {
    setErrors([]);
    setMessage(null);
    setResult(null);
    setBusy(true);
    try {
      setResult(await send());
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.errors);
        setMessage(err.message);
      } else setMessage(String(err));
    } finally {
      setBusy(false);
    }
  };
  return { errors, message, result, busy, submit };
}

/** A fresh key per form filled in: resending the same form (a retry, a double click) is answered once. */
export const newKey = () => crypto.randomUUID();

export function Outcome({ message, started }: { message: string | null; started: string | null }) {
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

/** `datetime-local` gives local wall time without an offset; the API wants an ISO instant. */
export const isoOf = (local: string) => (local ? new Date(local).toISOString() : '');
