// `npm run bench -- replay [scenario.json]`: replays a scenario (default double11-beauty: 4-hour trace, 24 h of
// preparation, 72 h horizon) over its whole horizon with every workflow real, on its own isolated stack, exactly as
// `npm run replay` does, and prints the wall time, the business-time speed-up of each phase (business ms per real
// ms: the ratio against real time, which is the baseline) and the orders per real second while the trace streams.
// Goal (issue 8): the full 72-hour horizon in ≤ 15 real minutes. The run's own report is checked too: oversold 0
// and a verified ledger, else the benchmark fails.
// Knobs: BENCH_REPLAY_TIME_SCALE (the trace's scale; default: the replay's, ~300 orders/s at the peak).
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from '../scripts/lib/paths.mjs';
import { goalLine } from './lib/report.mjs';
import { startStack } from './lib/stack.mjs';

const require = createRequire(import.meta.url);
const dist = (p) => require(path.join(ROOT, 'dist', p));

export const description =
  'a whole scenario replayed (default double11-beauty, 72 h horizon): wall time, speed-up per phase, orders/s';

const GOAL_MINUTES = 15;

const bar = (value, max, width = 40) =>
  '█'.repeat(Math.max(1, Math.round((value / Math.max(max, 1)) * width)));

export async function run({ log, args }) {
  const file = path.resolve(args[0] ?? path.join(ROOT, 'scenarios/double11-beauty.json'));
  const { loadScenarioFiles } = dist('libs/persistence/src/scenario-files.js');
  const { runReplay } = dist('apps/launcher/src/replay/run.js');
  const loaded = loadScenarioFiles(file);
  if (!loaded.ok) throw new Error(`the scenario cannot be replayed:\n  ${loaded.errors.join('\n  ')}`);
  const { scenario, events, stats } = loaded;
  log(
    `${scenario.name}: ${stats.orders} orders over ${Math.round(stats.lastT / 60)} min, prep ${scenario.prepHours} h, ` +
      `horizon ${scenario.horizonHours} h`,
  );
  const t0 = Date.now();
  const stack = await startStack({
    log,
    name: 'replay',
    temporal: true,
    apiEnv: { ALLOW_CLOCK_CONTROL: '1', LOG_LEVEL: 'error' },
  });
  const startedMs = Date.now() - t0;
  let lastLine = 0;
  let result;
  try {
    const scale = Number(process.env.BENCH_REPLAY_TIME_SCALE) || undefined;
    result = await runReplay({
      scenario,
      events,
      apiUrl: stack.apiUrl,
      adminToken: stack.adminToken,
      databaseUrl: stack.databaseUrl,
      policy: { type: 'dynamic' },
      timeScale: scale,
      log,
      onProgress: (p) => {
        if (Date.now() - lastLine < 10_000) return;
        lastLine = Date.now();
        log(
          `${p.phase.padEnd(8)} ${'█'.repeat(Math.round(p.fraction * 20)).padEnd(20, '░')} ${p.businessNow.slice(0, 16)} ` +
            `${p.ordersSent}/${p.ordersTotal} orders at ${p.scale}×`,
        );
      },
    });
  } finally {
    await stack.stop();
  }
  const wallMs = Date.now() - t0;
  const { report, phases, ledger } = result;
  console.log(
    `\nreplay of ${scenario.name}: wall ${(wallMs / 60_000).toFixed(1)} min (stack start ${(startedMs / 1000).toFixed(0)} s)`,
  );
  console.log('speed-up per phase (business time / real time):');
  const maxSpeed = Math.max(...phases.map((p) => p.businessMs / Math.max(1, p.realMs)));
  for (const p of phases) {
    const speed = p.businessMs / Math.max(1, p.realMs);
    console.log(
      `  ${p.phase.padEnd(9)} ${(p.businessMs / 3_600_000).toFixed(1).padStart(6)} business h in ${(p.realMs / 1000).toFixed(0).padStart(5)} s  ` +
        `×${speed.toFixed(0).padStart(5)} ${bar(speed, maxSpeed)}`,
    );
  }
  const trace = phases.find((p) => p.phase === 'trace');
  if (trace)
    console.log(
      `orders/s while the trace streamed: ${(trace.orders / Math.max(0.001, trace.realMs / 1000)).toFixed(1)}`,
    );
  const businessHours = phases.reduce((s, p) => s + p.businessMs, 0) / 3_600_000;
  console.log(
    `${businessHours.toFixed(1)} business hours in ${(wallMs / 60_000).toFixed(1)} real minutes: ` +
      `${((wallMs / 60_000 / GOAL_MINUTES) * 100).toFixed(0)} % of the ${GOAL_MINUTES}-minute goal ` +
      `(${report.units.oversold === 0 ? 'oversold 0' : `OVERSOLD ${report.units.oversold}`}, ledger ${ledger.mismatches === 0 ? 'verified' : 'MISMATCH'})`,
  );
  log(goalLine('whole horizon, real minutes', wallMs / 60_000, { max: GOAL_MINUTES }, 'min').text);
  log(goalLine('units oversold', report.units.oversold, { max: 1 }, 'units').text);
  console.log(
    `orders: ${report.orders.received} received, ${report.orders.accepted} accepted, ${report.orders.shipped} shipped; ` +
      `open at the end ${report.openOrders.open} (${report.openOrders.unexplained} unexplained): ` +
      Object.entries(report.openOrders.reasons)
        .map(([reason, n]) => `${n} ${reason}`)
        .join(', '),
  );
  if (report.units.oversold !== 0 || ledger.mismatches !== 0)
    throw new Error('the replay oversold or the ledger does not verify');
}
