/** The plans besides waves: how many kits to pre-pack (and the builds under way), and courier capacity. */
import { type FormEvent, useEffect, useState } from 'react';
import { client, ok, type Me } from '../api';
import { Field, isoOf, Outcome, Select, useOptions, useSubmit, type Option } from '../form';
import { useI18n } from '../i18n';

interface Suggestion {
  forecastKitUnits: number;
  kitsAvailableInNetwork: number;
  needed: number;
  buildable: number;
  suggestedQty: number;
  bottleneck: { sku: string; short: number } | null;
  reasons: string[];
  components: { sku: string; perKit: number; available: number; keptForOwnDemand: number }[];
}

interface KitBuild {
  workflowId: string;
  kitSku: string;
  warehouse: string;
  qty: number;
  lockedKits: number;
  packed: number;
  unbuilt: number;
  status: string;
  dueBy: string;
}

interface CourierDay {
  courier: string;
  day: string;
  booked: number;
  overflow: number;
  used: number;
  released: number;
  status: string | null;
}
interface Booking {
  workflowId: string;
  warehouse: string;
  status: string;
  days: CourierDay[];
}

/** Workflow ids of one kind, newest first (the projection's list). */
function useWorkflows(kind: 'kit_build' | 'courier_booking', refresh: unknown): string[] {
  const [ids, setIds] = useState<string[]>([]);
  useEffect(() => {
    // A workflow just started reaches the list once its first progress is recorded: look again now and then.
    const load = () =>
      ok<{ items: { workflowId: string }[] }>(
        client.GET('/v1/workflows', { params: { query: { kind, limit: 20 } } }),
      )
        .then((r) => setIds(r.items.map((w) => w.workflowId)))
        .catch(() => setIds([]));
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, [kind, refresh]);
  return ids;
}

function KitBuildBar({ id }: { id: string }) {
  const { t, num, time } = useI18n();
  const [b, setB] = useState<KitBuild | null>(null);
  useEffect(() => {
    const load = () =>
      ok<KitBuild>(client.GET('/v1/kit-builds/{id}', { params: { path: { id } } }))
        .then(setB)
        .catch(() => setB(null));
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, [id]);
  if (!b) return null;
  const of = Math.max(b.qty, 1);
  return (
    <li className="bar-row">
      <span className="bar-label">
        {b.kitSku} @ {b.warehouse} · {b.status} · {t('due')} {time(b.dueBy)}
      </span>
      <span
        className="bar"
        role="img"
        aria-label={`${b.kitSku}: ${t('packed')} ${b.packed} / ${b.qty}, ${t('lockedKits')} ${b.lockedKits}`}
      >
        <span className="seg used" style={{ width: `${(100 * b.packed) / of}%` }} />
        <span
          className="seg booked"
          style={{ width: `${(100 * Math.max(0, b.lockedKits - b.packed)) / of}%` }}
        />
      </span>
      <span className="bar-value">
        {num(b.packed)} / {num(b.qty)}
      </span>
    </li>
  );
}

function KitBuilds({ me, skus, warehouses }: { me: Me; skus: Option[]; warehouses: Option[] }) {
  const { t, num } = useI18n();
  const events = useOptions('/v1/sale-events');
  const [saleEvent, setSaleEvent] = useState('');
  const [kitSku, setKitSku] = useState('');
  const [warehouse, setWarehouse] = useState('');
  const [dueBy, setDueBy] = useState('');
  const ask = useSubmit<Suggestion>();
  const build = useSubmit();
  const builds = useWorkflows('kit_build', build.result);
  const canBuild = me.role === 'ops' || me.role === 'supply_manager';
  const suggestion = ask.result;
  const suggest = (e: FormEvent) => {
    e.preventDefault();
    void ask.submit(() =>
      ok<Suggestion>(
        client.GET('/v1/kit-builds/suggestion', { params: { query: { saleEvent, kitSku, warehouse } } }),
      ),
    );
  };
  return (
    <section className="card" aria-labelledby="kits-title">
      <h2 id="kits-title">{t('kitBuilds')}</h2>
      <form onSubmit={suggest} aria-label={t('kitSuggestion')}>
        <Field id="saleEvent" label="saleEvent" errors={ask.errors}>
          <Select id="saleEvent" value={saleEvent} onChange={setSaleEvent} options={events} />
        </Field>
        <Field id="kitSku" label="kitSku" errors={ask.errors}>
          <Select id="kitSku" value={kitSku} onChange={setKitSku} options={skus} />
        </Field>
        <Field id="k-warehouse" label="warehouse" field="warehouse" errors={ask.errors}>
          <Select id="k-warehouse" value={warehouse} onChange={setWarehouse} options={warehouses} />
        </Field>
        <button type="submit">{t('suggest')}</button>
        {!suggestion && <Outcome message={ask.message} started={null} />}
      </form>
      {suggestion && (
        <div data-testid="kit-suggestion">
          <p>
            <strong>
              {t('suggestedQty')}: {num(suggestion.suggestedQty)}
            </strong>{' '}
            ({t('forecast')} {num(suggestion.forecastKitUnits)}, {t('kitsInNetwork')}{' '}
            {num(suggestion.kitsAvailableInNetwork)}, {t('buildable')} {num(suggestion.buildable)})
          </p>
          {suggestion.bottleneck && (
            <p className="bad">
              {t('bottleneck')}: {suggestion.bottleneck.sku} ({t('short')} {num(suggestion.bottleneck.short)})
            </p>
          )}
          <ul className="small">
            {suggestion.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
          {canBuild && suggestion.suggestedQty > 0 && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                const body = { kitSku, warehouse, qty: suggestion.suggestedQty, dueBy: isoOf(dueBy) };
                void build.submit(() => ok(client.POST('/v1/kit-builds', { body })));
              }}
            >
              <Field id="dueBy" label="dueBy" errors={build.errors}>
                <input
                  id="dueBy"
                  type="datetime-local"
                  required
                  value={dueBy}
                  onChange={(e) => setDueBy(e.target.value)}
                />
              </Field>
              <button type="submit">
                {t('buildKits')} ({num(suggestion.suggestedQty)})
              </button>
              <Outcome message={build.message} started={build.result?.workflowId ?? null} />
            </form>
          )}
        </div>
      )}
      {builds.length > 0 && (
        <>
          <h3>{t('buildsUnderWay')}</h3>
          <ul className="bars">
            {builds.map((id) => (
              <KitBuildBar key={id} id={id} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** Per courier and day: used, the rest of what was booked, overflow booked elsewhere, and what was given back. */
function CourierBookings() {
  const { t, num } = useI18n();
  const ids = useWorkflows('courier_booking', null);
  const [open, setOpen] = useState<string | null>(null);
  const [booking, setBooking] = useState<Booking | null>(null);
  const shown = open ?? ids[0] ?? null;
  useEffect(() => {
    if (!shown) return;
    const load = () =>
      ok<Booking>(client.GET('/v1/courier-bookings/{id}', { params: { path: { id: shown } } }))
        .then(setBooking)
        .catch(() => setBooking(null));
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, [shown]);
  const most = Math.max(1, ...(booking?.days.map((d) => d.booked + d.overflow) ?? [1]));
  return (
    <section className="card" aria-labelledby="courier-title">
      <h2 id="courier-title">{t('courierBookings')}</h2>
      {ids.length === 0 ? (
        <p>{t('none')}</p>
      ) : (
        <>
          <label htmlFor="booking">{t('booking')}</label>{' '}
          <select id="booking" value={shown ?? ''} onChange={(e) => setOpen(e.target.value)}>
            {ids.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
          <div className="legend" aria-hidden="true">
            <span className="swatch seg used" /> {t('used')} <span className="swatch seg booked" />{' '}
            {t('booked')} <span className="swatch seg overflow" /> {t('overflow')}{' '}
            <span className="swatch seg released" /> {t('releasedCapacity')}
          </div>
          <ul className="bars" data-testid="courier-bars">
            {booking?.days.map((d) => {
              const w = (n: number) => `${(100 * Math.max(0, n)) / most}%`;
              // Released parcels come out of what was booked (overflow first), never out of what was used.
              const releasedOverflow = Math.min(d.released, d.overflow);
              const releasedPrimary = d.released - releasedOverflow;
              const open = Math.max(0, d.booked - d.used - releasedPrimary);
              return (
                <li key={`${d.courier}-${d.day}`} className="bar-row">
                  <span className="bar-label">
                    {d.courier} · {d.day} {d.status ? `· ${d.status}` : ''}
                  </span>
                  <span
                    className="bar"
                    role="img"
                    aria-label={`${d.courier} ${d.day}: ${t('booked')} ${d.booked}, ${t('used')} ${d.used}, ${t('overflow')} ${d.overflow}, ${t('releasedCapacity')} ${d.released}`}
                  >
                    <span className="seg used" style={{ width: w(d.used) }} />
                    <span className="seg booked" style={{ width: w(open) }} />
                    <span className="seg overflow" style={{ width: w(d.overflow - releasedOverflow) }} />
                    <span className="seg released" style={{ width: w(d.released) }} />
                  </span>
                  <span className="bar-value">
                    {num(d.used)} / {num(d.booked)}
                    {d.overflow ? ` +${num(d.overflow)}` : ''}
                  </span>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}

export function Supply({ me }: { me: Me }) {
  const skus = useOptions('/v1/skus');
  const warehouses = useOptions('/v1/warehouses');
  return (
    <div className="grid">
      <KitBuilds me={me} skus={skus} warehouses={warehouses} />
      <CourierBookings />
    </div>
  );
}
