// Load generators: a closed loop of SQL statements on N PostgreSQL connections (the baselines), and autocannon
// against the HTTP API. Both report { ok, other, seconds, rate (ok per second), p50Ms, p99Ms }.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { percentile } from './measure.mjs';

const require = createRequire(import.meta.url);

/**
 * `connections` pg clients, each running `op(client, connectionIndex)` back to back for warm-up + duration
 * seconds; only operations that start after the warm-up count. `op` resolves true (counted as ok) or false
 * (e.g. a conditional UPDATE that matched no row).
 */
export async function sqlLoad({ url, connections, warmupS, durationS, setup, op }) {
  const { Client } = require('pg');
  const clients = [];
  try {
    for (let i = 0; i < connections; i++) {
      const c = new Client({ connectionString: url, application_name: 'peakstock-bench' });
      // A server stopped under us (Ctrl-C) fails the query in flight; without a listener it would crash the process.
      c.on('error', () => undefined);
      await c.connect();
      if (setup) await setup(c);
      clients.push(c);
    }
    const start = performance.now();
    const measureFrom = start + warmupS * 1000;
    const end = measureFrom + durationS * 1000;
    const latencies = [];
    let ok = 0;
    let other = 0;
    let errors = 0;
    let all = 0; // every completed operation, warm-up included
    let firstError;
    await Promise.all(
      clients.map(async (c, i) => {
        for (;;) {
          const t = performance.now();
          if (t >= end) return;
          let good;
          try {
            good = await op(c, i);
          } catch (err) {
            errors++;
            firstError ??= err;
            try {
              await c.query('ROLLBACK');
            } catch {
              // not in a transaction
            }
            continue;
          }
          const done = performance.now();
          all++;
          if (t < measureFrom || done > end) continue;
          if (good) {
            ok++;
            latencies.push(done - t);
          } else other++;
        }
      }),
    );
    if (errors && !ok) throw firstError;
    latencies.sort((a, b) => a - b);
    return {
      ok,
      other,
      errors,
      all,
      firstError: firstError ? String(firstError.message ?? firstError) : undefined,
      seconds: durationS,
      rate: ok / durationS,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

function runAutocannon(opts, signal) {
  const autocannon = require('autocannon');
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
    if (signal) {
      if (signal.aborted) instance.stop();
      else signal.addEventListener('abort', () => instance.stop(), { once: true });
    }
  });
}

/**
 * POSTs built by `body(connectionHeaders)` from `connections` keep-alive connections; connection i sends
 * `headersFor(i)`. A warm-up run (not counted) precedes the measured one. With `overallRate` the load is paced
 * at that many requests per second in total. Aborting `signal` ends the measured run early (durationS is then
 * the most it runs; `seconds` in the result is what it ran).
 */
export async function httpLoad({
  url,
  path,
  connections,
  warmupS,
  durationS,
  headersFor,
  body,
  overallRate,
  signal,
}) {
  let nextClient = 0;
  const opts = (duration) => ({
    url,
    connections,
    duration,
    overallRate,
    // autocannon otherwise "corrects" paced latencies with a 1 ms expected interval, which lowers p50 artificially.
    ...(overallRate ? { ignoreCoordinatedOmission: true } : {}),
    timeout: 30,
    setupClient: (client) => client.setHeaders(headersFor(nextClient++ % connections)),
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req) => ({ ...req, body: body(req.headers) }),
      },
    ],
  });
  const warm = warmupS > 0 ? await runAutocannon(opts(warmupS)) : null;
  const r = await runAutocannon(opts(durationS), signal);
  const ok = r['2xx'];
  const codes = Object.fromEntries(
    Object.entries(r.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
  );
  return {
    ok,
    other: r.non2xx,
    errors: r.errors,
    all: r.requests.total + (warm?.requests.total ?? 0),
    timeouts: r.timeouts,
    statusCodes: codes,
    seconds: r.duration,
    rate: ok / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
  };
}

/**
 * An open loop: calls `fn(i)` for i = 0 … count − 1 at `rate` per second from `startAt` (a performance.now()
 * instant; now when omitted), whether or not earlier calls have finished, and answers one record per call,
 * { i, sentMs, doneMs (wall clock), ok, value | error }, with the most calls that were in flight at once.
 */
export async function pacedCalls({ count, rate, fn, startAt = performance.now(), onProgress }) {
  const records = [];
  const pending = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const wall = () => performance.timeOrigin + performance.now();
  for (let i = 0; i < count; i++) {
    const due = startAt + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const rec = { i, sentMs: wall() };
    records.push(rec);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    pending.push(
      Promise.resolve()
        .then(() => fn(i))
        .then(
          (value) => Object.assign(rec, { doneMs: wall(), ok: true, value }),
          (error) =>
            Object.assign(rec, { doneMs: wall(), ok: false, error: String(error?.message ?? error) }),
        )
        .finally(() => inFlight--),
    );
    onProgress?.(i + 1);
  }
  await Promise.all(pending);
  return { records, maxInFlight };
}
