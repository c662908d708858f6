import { type ChangeEvent, useMemo, useState } from 'react';
import {
  renderReplayHtml,
  type ReplayCharts,
  type ReplayReport,
} from '../../../../libs/domain/src/scenario/replay-html';
import { useI18n } from '../i18n';

type Run = ReplayReport & { charts?: ReplayCharts };

const NO_CHARTS: ReplayCharts = { heroSkus: [], ordersPerMinute: [], waves: [], courier: [] };

/** The runs in a report file: one report, or `{runs: [...]}` from `npm run replay -- --compare`. */
function runsOf(json: unknown): Run[] | null {
  const isRun = (x: unknown): x is Run =>
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Run).scenario === 'string' &&
    typeof (x as Run).policy === 'string';
  if (isRun(json)) return [json];
  const runs = (json as { runs?: unknown } | null)?.runs;
  return Array.isArray(runs) && runs.length > 0 && runs.every(isRun) ? runs : null;
}

/**
 * A replay report (`npm run replay -- … --report r.json`) opened from this computer: the same page as the
 * replay's --html output, drawn from the JSON in the browser. Nothing is uploaded; the page is shown in a
 * sandboxed frame that runs no script.
 */
export function Report() {
  const { t } = useI18n();
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [chosen, setChosen] = useState(0);
  const [error, setError] = useState<string | null>(null);

  const open = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    setRuns(null);
    setError(null);
    if (!file) return;
    try {
      const found = runsOf(JSON.parse(await file.text()));
      if (!found) throw new Error(t('notAReport'));
      setRuns(found);
      setChosen(0);
    } catch (err) {
      setError(`${file.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const run = runs?.[chosen];
  const html = useMemo(() => (run ? renderReplayHtml(run, run.charts ?? NO_CHARTS) : ''), [run]);

  return (
    <section aria-labelledby="report-title">
      <h1 id="report-title">{t('report')}</h1>
      <p className="help">{t('reportHelp')}</p>
      <div className="card row">
        <label htmlFor="report-file">{t('reportFile')}</label>
        <input id="report-file" type="file" accept="application/json,.json" onChange={(e) => void open(e)} />
        {runs && runs.length > 1 && (
          <>
            <label htmlFor="report-run">{t('reportRun')}</label>
            <select id="report-run" value={chosen} onChange={(e) => setChosen(Number(e.target.value))}>
              {runs.map((r, i) => (
                <option key={`${r.policy}-${i}`} value={i}>
                  {r.policy}
                </option>
              ))}
            </select>
          </>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {run && !run.charts && <p className="help">{t('reportNoCharts')}</p>}
      {run && (
        <iframe
          className="report-frame"
          title={`${t('report')}: ${run.scenario} · ${run.policy}`}
          sandbox=""
          srcDoc={html}
        />
      )}
    </section>
  );
}
