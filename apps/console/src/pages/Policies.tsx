import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { client, ok, type Me } from '../api';
import { useOptions, useSubmit } from '../form';
import { type LabelKey, useI18n } from '../i18n';

type Tier = 'A' | 'B' | 'C';
const TIERS: Tier[] = ['A', 'B', 'C'];
/** The knobs people tune during a sale; the rest stay as stored (the API takes them, this page leaves them). */
const KNOBS = ['windowMinutes', 'k', 'criticalMinutes', 'stopSellFloor', 'cooldownMinutes'] as const;
type Knob = (typeof KNOBS)[number];

interface PolicyView {
  tiers: Record<Tier, { policy: Record<string, unknown>; override: Record<string, unknown> | null }>;
}

interface SkuOutcome {
  sku: string;
  tier: string;
  lost: number;
  stockoutMinutes: number;
  leadMinutes: number | null;
  falseAlarm: boolean;
}
interface Summary {
  skus: SkuOutcome[];
  totals: { lost: number; stockoutMinutes: number; falseAlarms: number; meanLeadMinutes: number | null };
}
interface Preview {
  draft: Summary;
  current: Summary;
}

type Edits = Partial<Record<Tier, Partial<Record<Knob, string>>>>;

/** The edited knobs laid over each tier's stored override: the body PUT /v1/alert-policies (and preview) take. */
function draftTiers(view: PolicyView, edits: Edits): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const tier of TIERS) {
    const changed = Object.entries(edits[tier] ?? {}).filter(([, v]) => v !== undefined && v !== '');
    if (changed.length === 0) continue;
    // A value that is not a number goes as typed: the server names the field it refuses.
    out[tier] = {
      ...(view.tiers[tier].override ?? {}),
      ...Object.fromEntries(changed.map(([k, v]) => [k, Number.isFinite(Number(v)) ? Number(v) : v])),
    };
  }
  return out;
}

function Comparison({ preview }: { preview: Preview }) {
  const { t, num } = useI18n();
  const rows: { label: LabelKey; current: number | null; draft: number | null; higherIsBetter: boolean }[] = [
    { label: 'lostUnits', ...pair(preview, (s) => s.totals.lost), higherIsBetter: false },
    { label: 'stockoutMinutes', ...pair(preview, (s) => s.totals.stockoutMinutes), higherIsBetter: false },
    { label: 'falseAlarms', ...pair(preview, (s) => s.totals.falseAlarms), higherIsBetter: false },
    { label: 'meanLead', ...pair(preview, (s) => s.totals.meanLeadMinutes), higherIsBetter: true },
  ];
  return (
    <div className="card">
      <div className="legend" aria-hidden="true">
        <span className="swatch current" /> {t('currentPolicy')} <span className="swatch draft" />{' '}
        {t('draftPolicy')}
      </div>
      {rows.map((r) => {
        const max = Math.max(r.current ?? 0, r.draft ?? 0, 1);
        const delta = r.current === null || r.draft === null ? 0 : r.draft - r.current;
        const verdict = delta === 0 ? null : delta > 0 === r.higherIsBetter ? 'better' : 'worse';
        return (
          <div key={r.label} className="compare" role="group" aria-label={t(r.label)}>
            <span className="compare-label">{t(r.label)}</span>
            <div className="compare-bars">
              {(['current', 'draft'] as const).map((which) => (
                <div key={which} className="compare-row">
                  <span className="compare-track">
                    <span
                      className={`compare-bar ${which}`}
                      style={{ width: `${(100 * (r[which] ?? 0)) / max}%` }}
                    />
                  </span>
                  <span className="compare-value">
                    {t(which === 'current' ? 'currentPolicy' : 'draftPolicy')}:{' '}
                    {r[which] === null ? t('none') : num(r[which])}
                  </span>
                </div>
              ))}
            </div>
            {verdict && <span className={verdict === 'better' ? 'pill good' : 'pill bad'}>{t(verdict)}</span>}
          </div>
        );
      })}
    </div>
  );
}

const pair = (p: Preview, f: (s: Summary) => number | null) => ({ current: f(p.current), draft: f(p.draft) });

export function Policies({ me }: { me: Me }) {
  const { t, num } = useI18n();
  const [view, setView] = useState<PolicyView | null>(null);
  const [edits, setEdits] = useState<Edits>({});
  const events = useOptions('/v1/sale-events');
  const [sourceKind, setSourceKind] = useState<'scenario' | 'saleEvent'>('scenario');
  const [scenario, setScenario] = useState('demo-small');
  const [saleEvent, setSaleEvent] = useState('');
  const previewing = useSubmit<Preview>();
  const saving = useSubmit<'saved'>();
  const canSave = me.role === 'admin' || me.role === 'ops';

  const load = () =>
    ok<PolicyView>(client.GET('/v1/alert-policies'))
      .then(setView)
      .catch(() => setView(null));
  useEffect(() => void load(), []);

  const tiers = useMemo(() => (view ? draftTiers(view, edits) : {}), [view, edits]);
  const changed = Object.keys(tiers).length > 0;
  const runPreview = (e: FormEvent) => {
    e.preventDefault();
    const source = sourceKind === 'scenario' ? { scenario } : { saleEvent };
    void previewing.submit(() =>
      ok<Preview>(
        client.POST('/v1/alert-policies/preview', {
          body: { source, ...(changed ? { policies: { tiers } } : {}) },
        }),
      ),
    );
  };
  const save = () =>
    saving.submit(async () => {
      await ok(client.PUT('/v1/alert-policies', { body: { tiers } }));
      setEdits({});
      await load();
      return 'saved' as const;
    });
  const preview = previewing.result;
  const busy = previewing.busy || saving.busy;
  // The preview names a draft's fields under `policies.`; the form's inputs carry the PUT's names.
  const errors = [
    ...previewing.errors.map((e) => ({ ...e, field: e.field.replace(/^policies\./, '') })),
    ...saving.errors,
  ];
  const message = saving.result
    ? { ok: true, text: t('saved') }
    : previewing.message || saving.message
      ? { ok: false, text: (previewing.message ?? saving.message)! }
      : null;

  if (!view) return <p>{t('loading')}</p>;
  const errorFor = (field: string) =>
    errors.filter((e) => e.field === field || e.field.startsWith(`${field}.`));
  const changedSkus = preview
    ? preview.draft.skus
        .map((d) => ({ d, c: preview.current.skus.find((c) => c.sku === d.sku) }))
        .filter(
          ({ d, c }) =>
            !c || c.leadMinutes !== d.leadMinutes || c.lost !== d.lost || c.falseAlarm !== d.falseAlarm,
        )
        .slice(0, 50)
    : [];

  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title">{t('policies')}</h1>
      <p className="help">{t('policiesHelp')}</p>
      <form onSubmit={runPreview}>
        <div className="grid">
          {TIERS.map((tier) => (
            <fieldset key={tier} className="card">
              <legend>
                {t('tier')} {tier}
              </legend>
              {KNOBS.map((knob) => {
                const id = `tiers.${tier}.${knob}`;
                const stored = view.tiers[tier].policy[knob];
                return (
                  <div className="field" key={knob}>
                    <label htmlFor={id}>{t(knob)}</label>
                    <input
                      id={id}
                      inputMode="decimal"
                      value={edits[tier]?.[knob] ?? String(stored ?? '')}
                      aria-invalid={errorFor(id).length > 0}
                      onChange={(e) =>
                        setEdits((x) => ({
                          ...x,
                          [tier]: {
                            ...x[tier],
                            [knob]: e.target.value === String(stored) ? undefined : e.target.value,
                          },
                        }))
                      }
                    />
                    {errorFor(id).map((err) => (
                      <p key={err.field + err.reason} className="error" role="alert">
                        {err.reason}
                      </p>
                    ))}
                  </div>
                );
              })}
            </fieldset>
          ))}
        </div>
        <div className="card row">
          <label htmlFor="source-kind">{t('previewSource')}</label>
          <select
            id="source-kind"
            value={sourceKind}
            onChange={(e) => setSourceKind(e.target.value === 'saleEvent' ? 'saleEvent' : 'scenario')}
          >
            <option value="scenario">{t('scenario')}</option>
            <option value="saleEvent">{t('recordedEvent')}</option>
          </select>
          {sourceKind === 'scenario' ? (
            <input
              aria-label={t('scenario')}
              value={scenario}
              onChange={(e) => setScenario(e.target.value)}
              required
            />
          ) : (
            <select
              aria-label={t('recordedEvent')}
              value={saleEvent}
              onChange={(e) => setSaleEvent(e.target.value)}
            >
              <option value="">—</option>
              {events.map((ev) => (
                <option key={ev.code} value={ev.code}>
                  {ev.code} · {ev.name}
                </option>
              ))}
            </select>
          )}
          <button type="submit" disabled={busy}>
            {previewing.busy ? t('previewRunning') : t('runPreview')}
          </button>
          {canSave && (
            <button type="button" disabled={busy || !changed} onClick={() => void save()}>
              {t('savePolicies')}
            </button>
          )}
        </div>
        {errorFor('source').map((err) => (
          <p key={err.reason} className="error" role="alert">
            {err.reason}
          </p>
        ))}
        {message && (
          <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </p>
        )}
      </form>
      {preview && (
        <>
          {!changed && <p className="help">{t('noChanges')}</p>}
          <Comparison preview={preview} />
          <table className="alerts">
            <caption className="caption">{t('changedSkus')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('sku')}</th>
                <th scope="col">{t('tier')}</th>
                <th scope="col">{t('leadMinutes')}</th>
                <th scope="col">{t('lostUnits')}</th>
                <th scope="col">{t('falseAlarms')}</th>
              </tr>
            </thead>
            <tbody>
              {changedSkus.length === 0 ? (
                <tr>
                  <td colSpan={5}>{t('none')}</td>
                </tr>
              ) : (
                changedSkus.map(({ d, c }) => (
                  <tr key={d.sku}>
                    <td>{d.sku}</td>
                    <td>{d.tier}</td>
                    <td>
                      {c?.leadMinutes === null || c === undefined ? '—' : num(c.leadMinutes)} →{' '}
                      {d.leadMinutes === null ? '—' : num(d.leadMinutes)}
                    </td>
                    <td>
                      {c ? num(c.lost) : '—'} → {num(d.lost)}
                    </td>
                    <td>
                      {c?.falseAlarm ? '✓' : '—'} → {d.falseAlarm ? '✓' : '—'}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
