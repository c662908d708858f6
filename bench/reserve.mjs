// `npm run bench -- reserve`: how fast POST /v1/orders reserves stock, through the full HTTP API with autocannon on
// loopback, against two baselines measured in the same run on the same PostgreSQL at the same concurrency:
//   raw    the single conditional UPDATE of stock_levels (what one reservation costs at the very least);
//   naive  one transaction per order: that UPDATE + an orders row + a stock_ledger row.
// Each runs on one hot SKU and on 1,000 SKUs; then the API is paced at 1,000 orders/s to read p50/p99 there.
// Prints rates, latencies, the disk's fsync latency and the ratios against the issue's goals, never pass/fail.
//
// Knobs (environment): BENCH_CONNECTIONS (64), BENCH_DURATION (15 s per phase), BENCH_WARMUP (3 s),
// BENCH_RATE (1000 orders/s), BENCH_SKUS (1000), BENCH_PACED_DURATION (10 s), BENCH_API_POOL (the API's
// DATABASE_POOL_SIZE; unset = its default), BENCH_DATABASE_URL (use that server instead of an embedded one),
// BENCH_API_NODE_ARGS (node flags for the API, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile it).
import os from 'node:os';
import { cpuMeter, descendsFrom, fsyncLatency } from './lib/measure.mjs';
import { httpLoad, sqlLoad } from './lib/load.mjs';
import { barChart, fmt, goalLine, ms, resultLine, writeJson } from './lib/report.mjs';
import { apiClient, inParallel, startStack } from './lib/stack.mjs';

export const description =
  'POST /v1/orders on one hot SKU and on 1,000 SKUs vs raw UPDATE and naive per-order transaction baselines';

const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${v})`);
  return n;
};

const REGION = 'BENCH-R1';
const WAREHOUSE = 'BENCH-W1';
const CHANNELS = ['BENCH-C1', 'BENCH-C2', 'BENCH-C3'];
// One hot row per kind of load, so that no phase starts on a row an earlier phase churned.
const HOT = {
  api: 'BENCH-HOT-API',
  raw: 'BENCH-HOT-RAW',
  naive: 'BENCH-HOT-NAIVE',
  paced: 'BENCH-HOT-PACED',
};
const HOT_STOCK = 10_000_000; // the most one adjustment may add
const SPREAD_STOCK = 1_000_000;

const RAW_SQL = `UPDATE stock_levels SET reserved = reserved + 1
  WHERE warehouse = $1 AND sku = $2 AND on_hand - reserved - locked >= 1`;
const NAIVE_ORDER_SQL = `INSERT INTO orders (channel, external_id, region, status, request_hash, lines, response, created_at)
  VALUES ($1, $2, $3, 'accepted', 'bench-naive', $4, '{}', now()) RETURNING id`;
const NAIVE_LEDGER_SQL = `INSERT INTO stock_ledger (at, warehouse, sku, kind, d_reserved, idempotency_key, actor_kind, actor_id, cause)
  VALUES (now(), $1, $2, 'reservation', 1, $3, 'bench', 'naive', $4)`;

export async function run({ log, print }) {
  const connections = num('BENCH_CONNECTIONS', 64);
  const durationS = num('BENCH_DURATION', 15);
  const warmupS = num('BENCH_WARMUP', 3);
  const pacedRate = num('BENCH_RATE', 1000);
  const pacedS = num('BENCH_PACED_DURATION', 10);
  const skuCount = num('BENCH_SKUS', 1000);
  const apiPool = process.env.BENCH_API_POOL;
  const runId = Date.now().toString(36);
  const spreadSkus = Array.from({ length: skuCount }, (_, i) => `BENCH-S${String(i).padStart(4, '0')}`);
  const pick = () => spreadSkus[Math.floor(Math.random() * skuCount)];

  const started = Date.now();
  const stack = await startStack({
    log,
    name: 'reserve',
    apiEnv: apiPool ? { DATABASE_POOL_SIZE: String(apiPool) } : {},
  });
  const { Client } = (await import('pg')).default;
  const admin = new Client({ connectionString: stack.databaseUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    // ── master data and stock through the public API, as the launcher's demo data does ──
    const call = apiClient(stack.apiUrl, stack.adminToken);
    await call('PUT', `/v1/regions/${REGION}`, {
      name: 'Bench region',
      remote: false,
      lat: 31.23,
      lon: 121.47,
    });
    await call('PUT', `/v1/warehouses/${WAREHOUSE}`, { name: 'Bench warehouse', region: REGION });
    const skus = [...Object.values(HOT), ...spreadSkus];
    await inParallel(skus, 8, (sku) =>
      call('PUT', `/v1/skus/${sku}`, { name: `Bench ${sku}`, unitCost: 10, unitPrice: 20, tier: 'A' }),
    );
    const tokens = [];
    for (const channel of CHANNELS) {
      await call('PUT', `/v1/channels/${channel}`, { name: `Bench ${channel}` });
      const user = await call('POST', '/v1/users', { name: `bench ${channel}`, role: 'channel', channel });
      tokens.push({ channel, token: user.token });
    }
    await inParallel(skus, 8, (sku) =>
      call('POST', '/v1/stock/adjustments', {
        warehouse: WAREHOUSE,
        sku,
        qty: sku.startsWith('BENCH-HOT') ? HOT_STOCK : SPREAD_STOCK,
        reason: 'bench opening stock',
        idempotencyKey: `bench:${runId}:${sku}`,
      }),
    );
    log(
      `master data through the API: 1 region, 1 warehouse, ${skus.length} SKUs (${Object.keys(HOT).length} hot with ` +
        `${fmt(HOT_STOCK)} units, ${fmt(skuCount)} with ${fmt(SPREAD_STOCK)}), ${CHANNELS.length} channels with a channel user each`,
    );

    // ── the machine and the server ──
    const fsync = fsyncLatency(stack.fsyncDir, 200);
    const show = async (name) => (await admin.query(`SHOW ${name}`)).rows[0][name];
    const server = {
      version: await show('server_version'),
      synchronous_commit: await show('synchronous_commit'),
      wal_sync_method: await show('wal_sync_method'),
      fsync: await show('fsync'),
      full_page_writes: await show('full_page_writes'),
      shared_buffers: await show('shared_buffers'),
      commit_delay: await show('commit_delay'),
      max_connections: await show('max_connections'),
    };
    const cpus = os.cpus();
    const machine = {
      cores: cpus.length,
      cpu: cpus[0]?.model?.trim(),
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    };
    const apiPoolShown = apiPool ?? '20 (its default)';
    log(
      `fsync (8 KiB write + fsync, n=${fsync.n}, ${stack.fsyncDir}): median ${ms(fsync.medianMs)}, p99 ${ms(fsync.p99Ms)}, max ${ms(fsync.maxMs)}`,
    );
    log(
      `PostgreSQL ${server.version}: synchronous_commit=${server.synchronous_commit} wal_sync_method=${server.wal_sync_method} ` +
        `fsync=${server.fsync} full_page_writes=${server.full_page_writes} shared_buffers=${server.shared_buffers} commit_delay=${server.commit_delay}`,
    );
    log(
      `machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}; load generator, API and ` +
        `PostgreSQL share these cores`,
    );
    log(
      `load: ${connections} connections (HTTP keep-alive, or pg clients for the baselines), ${warmupS} s warm-up + ` +
        `${durationS} s measured per phase; API DB pool ${apiPoolShown}; baselines write the real stock_levels, orders and stock_ledger tables`,
    );

    // Smoke test: one order must be accepted before any load is thrown at it.
    const probe = await fetch(`${stack.apiUrl}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[0].token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: tokens[0].channel,
        externalId: `probe-${runId}`,
        region: REGION,
        lines: [{ sku: spreadSkus[0], qty: 1 }],
      }),
    });
    if (probe.status !== 201)
      throw new Error(`a probe order was answered ${probe.status}: ${(await probe.text()).slice(0, 500)}`);

    // ── phases ──
    const apiPid = stack.apiPid;
    const meter = () =>
      cpuMeter({
        'bench (load generator)': (pid) => pid === process.pid,
        API: (pid) => pid === apiPid,
        // The embedded server is our child; an external one is every 'postgres' process (other servers too).
        PostgreSQL: (pid, p, snap) =>
          p.comm === 'postgres' && (stack.external || descendsFrom(pid, process.pid, snap)),
        // Anything else busy on the machine (another test run, a build) takes cores from the three above.
        other: () => true,
      });
    const phases = [];
    let seq = 0;
    const counters = { naive: 0 };
    const idPrefix = `${runId}-`;
    let nextOrder = 0;

    const sqlPhase = (key, label, skuOf, op) => ({
      key,
      label,
      unit: 'rows',
      run: () =>
        sqlLoad({
          url: stack.databaseUrl,
          connections,
          warmupS,
          durationS,
          op: (c) => op(c, skuOf()),
        }),
    });
    const raw = async (c, sku) => (await c.query(RAW_SQL, [WAREHOUSE, sku])).rowCount === 1;
    const naive = async (c, sku) => {
      const n = counters.naive++;
      await c.query('BEGIN');
      const upd = await c.query(RAW_SQL, [WAREHOUSE, sku]);
      if (upd.rowCount !== 1) {
        await c.query('ROLLBACK');
        return false;
      }
      const channel = CHANNELS[n % CHANNELS.length];
      const order = await c.query(NAIVE_ORDER_SQL, [
        channel,
        `naive-${runId}-${n}`,
        REGION,
        JSON.stringify([{ sku, qty: 1 }]),
      ]);
      const orderId = order.rows[0].id;
      await c.query(NAIVE_LEDGER_SQL, [
        WAREHOUSE,
        sku,
        `bench-naive:${orderId}`,
        JSON.stringify({ orderId, channel }),
      ]);
      await c.query('COMMIT');
      return true;
    };
    const byToken = new Map(tokens.map((t) => [`Bearer ${t.token}`, t.channel]));
    const apiPhase = (key, label, skuOf, paced) => ({
      key,
      label,
      unit: 'orders',
      run: () =>
        httpLoad({
          url: stack.apiUrl,
          path: '/v1/orders',
          connections,
          warmupS: paced ? 2 : warmupS,
          durationS: paced ? pacedS : durationS,
          overallRate: paced ? pacedRate : undefined,
          headersFor: (i) => ({
            authorization: `Bearer ${tokens[i % tokens.length].token}`,
            'content-type': 'application/json',
          }),
          body: (headers) =>
            JSON.stringify({
              channel: byToken.get(headers.authorization),
              externalId: `${idPrefix}${nextOrder++}`,
              region: REGION,
              lines: [{ sku: skuOf(), qty: 1 }],
            }),
        }),
    });
    const plan = [
      sqlPhase('rawHot', 'raw UPDATE, hot SKU', () => HOT.raw, raw),
      sqlPhase('rawSpread', `raw UPDATE, ${fmt(skuCount)} SKUs`, pick, raw),
      sqlPhase('naiveHot', 'naive per-order tx, hot SKU', () => HOT.naive, naive),
      sqlPhase('naiveSpread', `naive per-order tx, ${fmt(skuCount)} SKUs`, pick, naive),
      apiPhase('apiHot', 'API POST /v1/orders, hot SKU', () => HOT.api),
      apiPhase('apiSpread', `API POST /v1/orders, ${fmt(skuCount)} SKUs`, pick),
      apiPhase('pacedHot', `API paced at ${fmt(pacedRate)}/s, hot SKU`, () => HOT.paced, true),
      apiPhase('pacedSpread', `API paced at ${fmt(pacedRate)}/s, ${fmt(skuCount)} SKUs`, pick, true),
    ];
    const results = {};
    for (const p of plan) {
      seq++;
      // Every phase starts from the same state: dead row versions vacuumed, dirty pages written.
      await admin.query('VACUUM (ANALYZE) stock_levels');
      await admin.query('CHECKPOINT');
      const paced = p.key.startsWith('paced');
      const secs = paced ? 2 + pacedS : warmupS + durationS;
      log(`▶ [${seq}/${plan.length}] ${p.label} — ${secs} s (${paced ? 2 : warmupS} s warm-up)…`);
      const cpu = meter();
      const xacts = async () =>
        Number(
          (
            await admin.query(
              'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
            )
          ).rows[0].n,
        );
      const x0 = await xacts();
      const r = await p.run();
      r.cpuPercent = cpu();
      // Statistics reach pg_stat_database when a backend goes idle (≤ 1 s later); includes the warm-up.
      await new Promise((res) => setTimeout(res, 1100));
      r.dbTransactions = (await xacts()) - x0;
      r.dbTransactionsPerOp = r.dbTransactions / Math.max(1, r.all);
      results[p.key] = { label: p.label, unit: p.unit, ...r };
      phases.push(p.key);
      const cpuText = r.cpuPercent
        ? `   CPU ${Object.entries(r.cpuPercent)
            .map(([k, v]) => `${k.split(' ')[0]} ${v}%`)
            .join(', ')}`
        : '';
      log(`  ${resultLine(p.unit, r)}${cpuText}`);
    }

    // ── ratios against the goals ──
    const R = (a, b) => results[a].rate / results[b].rate;
    const pacedLine = (key, label) => {
      const r = results[key];
      const sustained = r.rate >= 0.95 * pacedRate;
      const g = goalLine(
        label,
        r.p99Ms,
        { max: 50 },
        'ms',
        `(at ${fmt(r.rate)} orders/s achieved${sustained ? '' : ` — below the ${fmt(pacedRate)}/s asked`})`,
      );
      return { ...g, met: g.met && sustained, text: sustained ? g.text : g.text.replace(/^✓/, '✗') };
    };
    const goals = [
      {
        key: 'hotVsRaw',
        ...goalLine('hot SKU: API / raw single-row UPDATE', R('apiHot', 'rawHot'), { min: 1.5 }),
      },
      {
        key: 'spreadVsRaw',
        ...goalLine(`${fmt(skuCount)} SKUs: API / raw UPDATE spread`, R('apiSpread', 'rawSpread'), {
          min: 0.5,
        }),
      },
      {
        key: 'hotVsNaive',
        ...goalLine(
          'hot SKU: API / naive per-order tx',
          R('apiHot', 'naiveHot'),
          { min: 1 },
          '×',
          '(implied)',
        ),
      },
      {
        key: 'spreadVsNaive',
        ...goalLine(
          `${fmt(skuCount)} SKUs: API / naive per-order tx`,
          R('apiSpread', 'naiveSpread'),
          { min: 1 },
          '×',
          '(implied)',
        ),
      },
      { key: 'p99PacedHot', ...pacedLine('pacedHot', `p99 at ${fmt(pacedRate)} orders/s, hot SKU`) },
      {
        key: 'p99PacedSpread',
        ...pacedLine('pacedSpread', `p99 at ${fmt(pacedRate)} orders/s, ${fmt(skuCount)} SKUs`),
      },
    ];

    const lines = [
      '',
      `Reservation benchmark — ${connections} connections, ${durationS} s per phase; client, API and PostgreSQL share ${machine.cores} cores`,
      `fsync ${ms(fsync.medianMs)} median / ${ms(fsync.p99Ms)} p99 · synchronous_commit=${server.synchronous_commit} ` +
        `wal_sync_method=${server.wal_sync_method} fsync=${server.fsync}`,
      '',
      'Rates (successful reservations per second):',
      ...barChart(
        phases.map((k) => ({ label: results[k].label, value: results[k].rate })),
        { unit: '/s' },
      ),
      '',
      'Latency p50 / p99, PostgreSQL transactions (statements outside BEGIN count one each) per request, and CPU while it ran (% of one core):',
      ...phases.map((k) => {
        const r = results[k];
        const cpu = r.cpuPercent
          ? Object.entries(r.cpuPercent)
              .map(([name, v]) => `${name.split(' ')[0]} ${v}%`)
              .join(' · ')
          : '';
        return `  ${r.label.padEnd(40)} ${ms(r.p50Ms).padStart(9)} / ${ms(r.p99Ms).padEnd(9)}  ${fmt(r.dbTransactionsPerOp, 1).padStart(4)} tx/op  ${cpu}`;
      }),
      '',
      'Against the goals (ratios of rates measured in this run):',
      ...goals.map((g) => `  ${g.text}`),
      '',
      'Closing note: ' +
        [
          `hot SKU ${fmt(R('apiHot', 'rawHot'), 2)}× raw (goal ≥ 1.5×)`,
          `${fmt(skuCount)} SKUs ${fmt(R('apiSpread', 'rawSpread'), 2)}× raw (goal ≥ 0.5×)`,
          `${fmt(R('apiHot', 'naiveHot'), 2)}× / ${fmt(R('apiSpread', 'naiveSpread'), 2)}× the naive per-order transaction (hot / spread)`,
          `p99 ${ms(results.pacedHot.p99Ms)} hot / ${ms(results.pacedSpread.p99Ms)} spread at ${fmt(pacedRate)} orders/s asked ` +
            `(${fmt(results.pacedHot.rate)} / ${fmt(results.pacedSpread.rate)} achieved; goal < 50 ms)`,
          `fsync ${ms(fsync.medianMs)} median`,
          `${machine.cores} cores shared by client, API and PostgreSQL`,
        ].join('; ') +
        '.',
    ];
    for (const l of lines) print(l);

    const file = writeJson('reserve', {
      benchmark: 'reserve',
      at: new Date(started).toISOString(),
      totalSeconds: Math.round((Date.now() - started) / 1000),
      machine,
      server,
      fsync,
      settings: { connections, durationS, warmupS, pacedRate, pacedS, skuCount, apiPool: apiPoolShown },
      baselineTables: 'the project tables stock_levels, orders and stock_ledger (rows of the bench SKUs)',
      results,
      goals: Object.fromEntries(goals.map((g) => [g.key, { met: g.met, text: g.text.slice(2) }])),
    });
    log(`results written to ${file}`);
  } finally {
    await admin.end().catch(() => undefined);
    await stack.stop();
  }
}
