// `npm run bench -- alerts`: how soon an alert's workflow is running while the API takes orders, and what the
// alert engine costs the reservation path. One stack (embedded PostgreSQL, in-memory Temporal dev server, the
// built worker and API), four phases:
//   1. throughput, engine on   closed loop of POST /v1/orders over the background SKUs (API with ALERT_ENGINE=1);
//   2. throughput, engine off  the same load against a restarted API with ALERT_ENGINE=0;
//   3. alerts                  paced orders at the phase rate; among them one order per "trigger" SKU (tier A,
//                              6 units at W1 — one above the stop-sell floor — and 1,000 at W2 with a lane to W1),
//                              which takes it to the floor: a critical alert, a notify and a transfer workflow;
//                              the load goes on until the last alert's workflows have started;
//   4. raw starts              the same paced orders, and client.workflow.start of the same workflow types with
//                              the same inputs at the rate phase 3 started them, from this process.
// Latency of an alert's workflow = the trigger order's 201 answer (its commit, seen by the client) → the
// workflow's start time in Temporal (describe().startTime), split into engine (answer → outbox row written,
// i.e. the start of the engine pass that saw the order), pass + relay pickup (→ the relay's claim) and relay
// start (→ started). Raw = the client.workflow.start call → its answer. Prints ratios against the issue's goals
// (p99 ≤ 1.5× raw, throughput on ≥ 0.9× off), never pass/fail.
//
// Knobs (environment): BENCH_RATE (orders/s in phases 3 and 4; default 1,000 capped at 70 % of phase 1's rate),
// BENCH_ALERT_RATE (10 trigger orders/s), BENCH_DURATION (20 s of triggers), BENCH_WARMUP (3 s),
// BENCH_THROUGHPUT_DURATION (15 s per phase 1/2), BENCH_CONNECTIONS (64), BENCH_SKUS (1000 background SKUs),
// BENCH_DRAIN_TIMEOUT (60 s: how long phase 3 waits for the last alerts' workflows, load still on),
// BENCH_DATABASE_URL, BENCH_TEMPORAL_ADDRESS.
import os from 'node:os';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { httpLoad, pacedCalls } from './lib/load.mjs';
import { cpuMeter, descendsFrom, summarize, wallNow } from './lib/measure.mjs';
import { barChart, fmt, goalLine, ms, resultLine, stackedBarChart, writeJson } from './lib/report.mjs';
import { apiClient, inParallel, startStack } from './lib/stack.mjs';

const require = createRequire(import.meta.url);

export const description =
  'alert → workflow-started latency under order load vs raw client.workflow.start; order throughput with the alert engine on vs off';

const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${v})`);
  return n;
};

const sleep = (msecs) => new Promise((r) => setTimeout(r, msecs));
/** Milliseconds, with thousands separators from one second up. */
const msl = (n) => (Number.isFinite(n) && n >= 1000 ? `${fmt(n)} ms` : ms(n));

const BUYERS = 'BENCH-R1'; // buyers and W1
const FAR = 'BENCH-R2'; // W2
const W1 = 'BENCH-W1';
const W2 = 'BENCH-W2';
const LANE_HOURS = 4;
const CHANNELS = ['BENCH-C1', 'BENCH-C2', 'BENCH-C3'];
const BACKGROUND_STOCK = 1_000_000;
// Tier A's default stop-sell floor is 5: one unit sold from 6 leaves the SKU at its floor (critical).
const TRIGGER_W1_STOCK = 6;
const TRIGGER_W2_STOCK = 1_000;
// The relay claims a row by moving available_at a lease ahead (apps/api/src/outbox/outbox.service.ts).
const RELAY_LEASE_MS = 30_000;

export async function run({ log, print }) {
  const connections = num('BENCH_CONNECTIONS', 64);
  const askedRate = num('BENCH_RATE', 1000);
  const rateExplicit = !!process.env.BENCH_RATE;
  const alertRate = num('BENCH_ALERT_RATE', 10);
  const durationS = num('BENCH_DURATION', 20);
  const warmupS = num('BENCH_WARMUP', 3);
  const throughputS = num('BENCH_THROUGHPUT_DURATION', 15);
  const skuCount = Math.round(num('BENCH_SKUS', 1000));
  const drainTimeoutS = num('BENCH_DRAIN_TIMEOUT', 60);
  const runId = Date.now().toString(36);
  const triggerCount = Math.max(1, Math.round(alertRate * durationS));
  const background = Array.from({ length: skuCount }, (_, i) => `BENCH-S${String(i).padStart(4, '0')}`);
  const pick = () => background[Math.floor(Math.random() * skuCount)];
  const triggers = Array.from({ length: triggerCount }, (_, i) => `BENCH-T${String(i).padStart(4, '0')}`);
  const triggerSet = new Set(triggers);

  const started = Date.now();
  const stack = await startStack({ log, name: 'alerts', temporal: true });
  const { Client } = require('pg');
  const admin = new Client({ connectionString: stack.databaseUrl, application_name: 'peakstock-bench' });
  admin.on('error', () => undefined);
  await admin.connect();
  const { Connection, Client: TemporalClient } = require('@temporalio/client');
  const temporalConnection = await Connection.connect({ address: stack.temporalAddress });
  const temporal = new TemporalClient({
    connection: temporalConnection,
    namespace: stack.temporalNamespace,
  });
  try {
    // ── master data and stock through the public API ──
    const call = apiClient(stack.apiUrl, stack.adminToken);
    await call('PUT', `/v1/regions/${BUYERS}`, {
      name: 'Bench buyers',
      remote: false,
      lat: 31.23,
      lon: 121.47,
    });
    await call('PUT', `/v1/regions/${FAR}`, { name: 'Bench far', remote: false, lat: 39.9, lon: 116.4 });
    await call('PUT', `/v1/warehouses/${W1}`, { name: 'Bench W1 (near the buyers)', region: BUYERS });
    await call('PUT', `/v1/warehouses/${W2}`, { name: 'Bench W2', region: FAR });
    await call('PUT', `/v1/transit-lanes/${W2}/${W1}`, { hours: LANE_HOURS });
    const tokens = [];
    for (const channel of CHANNELS) {
      await call('PUT', `/v1/channels/${channel}`, { name: `Bench ${channel}` });
      const user = await call('POST', '/v1/users', { name: `bench ${channel}`, role: 'channel', channel });
      tokens.push({ channel, token: user.token });
    }
    const all = [...background, ...triggers];
    let done = 0;
    const setupProgress = setInterval(
      () => log(`  master data: ${fmt(done)} / ${fmt(all.length)} SKUs with stock…`),
      5000,
    );
    try {
      await inParallel(all, 8, async (sku) => {
        const trigger = triggerSet.has(sku);
        // Background SKUs are tier B: their notices (consumption accelerating when the load starts) take no
        // action, so every workflow started in phase 3 belongs to a trigger.
        await call('PUT', `/v1/skus/${sku}`, {
          name: `Bench ${sku}`,
          unitCost: 10,
          unitPrice: 20,
          tier: trigger ? 'A' : 'B',
        });
        const stock = trigger
          ? [
              [W1, TRIGGER_W1_STOCK],
              [W2, TRIGGER_W2_STOCK],
            ]
          : [[W1, BACKGROUND_STOCK]];
        for (const [warehouse, qty] of stock)
          await call('POST', '/v1/stock/adjustments', {
            warehouse,
            sku,
            qty,
            reason: 'bench opening stock',
            idempotencyKey: `bench:${runId}:${sku}:${warehouse}`,
          });
        done++;
      });
    } finally {
      clearInterval(setupProgress);
    }
    log(
      `master data through the API: 2 regions, ${W1} (near the buyers) and ${W2} with a ${LANE_HOURS} h lane to it, ` +
        `${fmt(skuCount)} background SKUs (tier B, ${fmt(BACKGROUND_STOCK)} at ${W1}), ${fmt(triggerCount)} trigger SKUs ` +
        `(tier A, ${TRIGGER_W1_STOCK} at ${W1} and ${fmt(TRIGGER_W2_STOCK)} at ${W2}), ${CHANNELS.length} channels`,
    );

    // ── helpers ──
    const cpus = os.cpus();
    const machine = {
      cores: cpus.length,
      cpu: cpus[0]?.model?.trim(),
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    };
    const meter = () =>
      cpuMeter({
        bench: (pid) => pid === process.pid,
        API: (pid) => pid === stack.apiPid,
        worker: (pid) => pid === stack.workerPid,
        Temporal: (pid, p, snap) => !!stack.temporalPid && descendsFrom(pid, stack.temporalPid, snap),
        PostgreSQL: (pid, p, snap) =>
          p.comm === 'postgres' && (stack.external || descendsFrom(pid, process.pid, snap)),
        other: () => true,
      });
    const cpuText = (cpu) =>
      cpu
        ? Object.entries(cpu)
            .map(([k, v]) => `${k} ${v}%`)
            .join(' · ')
        : '';
    const byToken = new Map(tokens.map((t) => [`Bearer ${t.token}`, t.channel]));
    let nextOrder = 0;
    const backgroundLoad = ({ durationS: d, warmupS: w, rate, signal, conns = connections }) =>
      httpLoad({
        url: stack.apiUrl,
        path: '/v1/orders',
        connections: conns,
        warmupS: w,
        durationS: d,
        overallRate: rate,
        signal,
        headersFor: (i) => ({
          authorization: `Bearer ${tokens[i % tokens.length].token}`,
          'content-type': 'application/json',
        }),
        body: (headers) =>
          JSON.stringify({
            channel: byToken.get(headers.authorization),
            externalId: `${runId}-${nextOrder++}`,
            region: BUYERS,
            lines: [{ sku: pick(), qty: 1 }],
          }),
      });
    const one = async (sql, params) => (await admin.query(sql, params)).rows[0];
    // Rows the engine has not read yet (its cursor is a transaction id) and outbox rows not yet delivered.
    const backlog = async () =>
      one(
        `SELECT (SELECT count(*) FROM demand_events d, alert_engine_cursor c
                  WHERE c.name = 'engine' AND d.xid >= c.horizon)::int
              + (SELECT count(*) FROM stock_ledger l, alert_engine_cursor c
                  WHERE c.name = 'engine' AND l.xid >= c.horizon)::int AS engine,
                (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND available_at < 'infinity')::int AS outbox`,
      );
    const settle = async (what, timeoutS = 90) => {
      const t0 = Date.now();
      let last = 0;
      for (;;) {
        const b = await backlog();
        if (b.engine === 0 && b.outbox === 0) return;
        if (Date.now() - t0 > timeoutS * 1000) {
          log(
            `  ${what}: still ${b.engine} rows unread by the engine, ${b.outbox} outbox rows undelivered; going on`,
          );
          return;
        }
        if (Date.now() - last > 3000) {
          log(
            `  ${what}: ${fmt(b.engine)} rows unread by the engine, ${fmt(b.outbox)} outbox rows undelivered…`,
          );
          last = Date.now();
        }
        await sleep(250);
      }
    };
    const freshState = async () => {
      await admin.query('VACUUM (ANALYZE) stock_levels');
      await admin.query('CHECKPOINT');
    };
    // Engine passes: each stamps the cursor's updated_at (the pass transaction's start) when it commits; and once
    // a second, how many committed rows the engine has not read yet.
    const passSampler = () => {
      const seen = [];
      const backlogs = [];
      let stopped = false;
      const loop = (async () => {
        for (let n = 0; !stopped; n++) {
          if (n % 10 === 0) {
            const b = await backlog().catch(() => null);
            if (b) backlogs.push(b.engine);
          }
          const r = await one(
            `SELECT extract(epoch FROM updated_at) * 1000 AS at FROM alert_engine_cursor WHERE name = 'engine'`,
          ).catch(() => null);
          const at = r ? Number(r.at) : NaN;
          if (Number.isFinite(at) && seen[seen.length - 1] !== at) seen.push(at);
          await sleep(100);
        }
      })();
      return async () => {
        stopped = true;
        await loop;
        const gaps = seen.slice(1).map((v, i) => v - seen[i]);
        return {
          passes: Math.max(0, seen.length - 1),
          interval: summarize(gaps),
          unreadRows: summarize(backlogs),
        };
      };
    };

    const passesText = (p) =>
      `a pass every ${msl(p.interval.p50)} (median; ${msl(p.interval.max)} max, ${p.passes} passes), ` +
      `rows committed but not yet read by it ${fmt(p.unreadRows.p50)} median / ${fmt(p.unreadRows.max)} max`;

    await settle('engine catching up with the opening stock', 120);
    const phases = {};

    // ── 1 and 2: throughput with the engine on and off ──
    const throughput = async (key, label, env) => {
      const r0 = await stack.restartApi(env);
      log(`API restarted with ${Object.entries(env).map(([k, v]) => `${k}=${v}`)} (pid ${r0.apiPid})`);
      await freshState();
      log(
        `▶ ${label} — ${warmupS + throughputS} s (${warmupS} s warm-up), ${connections} connections, closed loop…`,
      );
      const cpu = meter();
      const engine = passSampler();
      const r = await backgroundLoad({ durationS: throughputS, warmupS });
      r.cpuPercent = cpu();
      r.enginePasses = await engine();
      log(`  ${resultLine('orders', r)}`);
      log(`  CPU (% of one core): ${cpuText(r.cpuPercent)}`);
      if (env.ALERT_ENGINE !== '0') log(`  engine: ${passesText(r.enginePasses)}`);
      phases[key] = { label, ...r };
      return r;
    };
    const on = await throughput('throughputOn', '1/4 throughput, alert engine on', { ALERT_ENGINE: '1' });
    await throughput('throughputOff', '2/4 throughput, alert engine off', { ALERT_ENGINE: '0' });
    const r1 = await stack.restartApi({ ALERT_ENGINE: '1' });
    log(`API restarted with ALERT_ENGINE=1 (pid ${r1.apiPid}) for the alert phases`);
    await settle('engine catching up with phase 2’s orders', 120);

    // The asked rate, or (by default) at most 70 % of what the API sustained with the engine on: phase 3 adds the
    // alerts, the relay, the worker and Temporal to what phase 1 measured.
    const cap = Math.max(alertRate * 2, Math.floor((0.7 * on.rate) / 50) * 50);
    const rate = rateExplicit ? askedRate : Math.min(askedRate, cap);
    const rateNote =
      rate < askedRate
        ? `${fmt(askedRate)} orders/s asked, but the API sustained ${fmt(on.rate)}/s with the engine on here (phase 1), ` +
          `so phases 3 and 4 run at ${fmt(rate)}/s (70 %; set BENCH_RATE to force a rate)`
        : `${fmt(rate)} orders/s`;
    log(`rate for phases 3 and 4: ${rateNote}`);
    if (rate <= alertRate)
      throw new Error(`BENCH_RATE (${rate}) must exceed BENCH_ALERT_RATE (${alertRate})`);
    // Phase 3's load runs until the last alert's workflows have started (at most BENCH_DRAIN_TIMEOUT after the
    // last trigger), so every start is measured under load; phase 4's as long as its starts take.
    const triggerWindowS = warmupS + durationS;
    // autocannon paces per connection and a connection waits for its answer: enough of them that each has
    // 200 ms per request at the phase rate, so a slower answer does not lower the rate sent.
    const pacedConnections = Math.max(connections, Math.ceil(rate / 5));

    // ── 3: alerts under load ──
    await freshState();
    const outboxFrom = Number((await one('SELECT coalesce(max(id), 0) AS id FROM outbox')).id);
    log(
      `▶ 3/4 alerts — ${fmt(rate)} orders/s: ${warmupS} s warm-up, ${durationS} s with ${fmt(alertRate)} trigger ` +
        `orders/s among them (${fmt(triggerCount)} alerts), then until their workflows have started…`,
    );
    let cpu = meter();
    let passes = passSampler();
    const stopAlertsLoad = new globalThis.AbortController();
    const bgAlerts = backgroundLoad({
      durationS: triggerWindowS + drainTimeoutS + 5,
      warmupS: 0,
      rate: rate - alertRate,
      conns: pacedConnections,
      signal: stopAlertsLoad.signal,
    });
    const triggerStart = performance.now() + warmupS * 1000;
    let lastShown = 0;
    const trig = await pacedCalls({
      count: triggerCount,
      rate: alertRate,
      startAt: triggerStart,
      onProgress: (n) => {
        if (n === triggerCount || performance.now() - lastShown > 5000) {
          lastShown = performance.now();
          log(`  trigger orders sent: ${fmt(n)} / ${fmt(triggerCount)}`);
        }
      },
      fn: async (i) => {
        const t = tokens[i % tokens.length];
        const res = await fetch(`${stack.apiUrl}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            channel: t.channel,
            externalId: `${runId}-trigger-${i}`,
            region: BUYERS,
            lines: [{ sku: triggers[i], qty: 1 }],
          }),
        });
        const text = await res.text();
        if (res.status !== 201) throw new Error(`${res.status} ${text.slice(0, 200)}`);
        return res.status;
      },
    });
    const trigFailed = trig.records.filter((r) => !r.ok);
    if (trigFailed.length) log(`  ${trigFailed.length} trigger orders failed, e.g. ${trigFailed[0].error}`);

    // Every accepted trigger must reach a started workflow: wait for the alerts and the relay, load still on.
    const answered = new Map(trig.records.filter((r) => r.ok).map((r) => [triggers[r.i], r]));
    const drainStart = Date.now();
    let lastDrainLog = 0;
    for (;;) {
      const s = await one(
        `SELECT (SELECT count(DISTINCT sku) FROM alerts WHERE sku = ANY($1))::int AS alerted,
                (SELECT count(*) FROM outbox WHERE id > $2 AND kind = 'start' AND delivered_at IS NULL)::int AS pending`,
        [[...answered.keys()], outboxFrom],
      );
      if (s.alerted >= answered.size && s.pending === 0) break;
      if (Date.now() - drainStart > drainTimeoutS * 1000) {
        log(
          `  gave up waiting after ${drainTimeoutS} s: ${s.alerted}/${answered.size} alerted, ${s.pending} starts pending`,
        );
        break;
      }
      if (Date.now() - lastDrainLog > 2000) {
        log(
          `  load still on: ${fmt(s.alerted)} / ${fmt(answered.size)} trigger SKUs alerted, ${fmt(s.pending)} starts pending…`,
        );
        lastDrainLog = Date.now();
      }
      await sleep(100);
    }
    stopAlertsLoad.abort();
    const bg3 = await bgAlerts;
    const loadEndMs = wallNow();
    log(`  background orders: ${resultLine('orders', bg3)}`);
    const cpu3 = cpu();
    const passes3 = await passes();

    const rows = (
      await admin.query(
        `SELECT DISTINCT ON (o.id) o.id::bigint AS id, o.workflow_type, o.workflow_id, o.attempts, o.payload,
                extract(epoch FROM o.created_at) * 1000 AS created_ms,
                extract(epoch FROM o.available_at) * 1000 AS available_ms,
                extract(epoch FROM o.delivered_at) * 1000 AS delivered_ms,
                coalesce(n.sku, a.sku) AS sku, coalesce(n.id, a.id)::text AS alert_id
           FROM outbox o
           LEFT JOIN alerts n ON o.workflow_id LIKE 'alert-notify:%' AND n.id::text = split_part(o.workflow_id, ':', 2)
           LEFT JOIN alert_workflows aw ON aw.workflow_id = o.workflow_id
           LEFT JOIN alerts a ON a.id = aw.alert_id
          WHERE o.id > $1 AND o.kind = 'start'
          ORDER BY o.id`,
        [outboxFrom],
      )
    ).rows;
    // One sample per workflow: its first outbox row (a second start of the same id joins the running one).
    const firstRow = new Map();
    for (const r of rows) if (!firstRow.has(r.workflow_id)) firstRow.set(r.workflow_id, r);
    const ofTriggers = [...firstRow.values()].filter((r) => triggerSet.has(r.sku));
    const otherStarts = firstRow.size - ofTriggers.length;
    log(`  describing ${fmt(ofTriggers.length)} workflows in Temporal for their start times…`);
    const samples = [];
    await inParallel(ofTriggers, 8, async (r) => {
      const t = answered.get(r.sku);
      if (!t || r.delivered_ms === null) return;
      const d = await temporal.workflow.getHandle(r.workflow_id).describe();
      const startMs = d.startTime.getTime();
      const createdMs = Number(r.created_ms);
      const claimMs = r.attempts === 1 ? Number(r.available_ms) - RELAY_LEASE_MS : NaN;
      const claimOk = claimMs >= createdMs - 1 && claimMs <= startMs + 1;
      samples.push({
        sku: r.sku,
        alertId: r.alert_id,
        workflowType: r.workflow_type,
        workflowId: r.workflow_id,
        args: r.payload.args ?? [],
        outboxId: Number(r.id),
        totalMs: startMs - t.doneMs,
        engineMs: createdMs - t.doneMs,
        passMs: claimOk ? claimMs - createdMs : NaN,
        relayMs: claimOk ? startMs - claimMs : NaN,
        afterLoad: startMs > loadEndMs,
        orderMs: t.doneMs - t.sentMs,
        _answeredMs: t.doneMs,
        _startMs: startMs,
      });
    });
    samples.sort((a, b) => a.outboxId - b.outboxId);
    const perAlert = new Map();
    for (const s of samples) perAlert.set(s.sku, Math.min(perAlert.get(s.sku) ?? Infinity, s.totalMs));
    const byType = {};
    for (const s of samples) (byType[s.workflowType] ??= []).push(s.totalMs);
    const unstarted = [...answered.keys()].filter((sku) => !perAlert.has(sku));
    const alertsResult = {
      label: 'alerts under load',
      rate,
      background: bg3,
      triggerOrders: {
        sent: triggerCount,
        accepted: answered.size,
        failed: trigFailed.length,
        latency: summarize([...answered.values()].map((r) => r.doneMs - r.sentMs)),
      },
      workflows: samples.length,
      workflowsPerSecond: samples.length / durationS,
      startedAfterLoadEnded: samples.filter((s) => s.afterLoad).length,
      alertsWithoutWorkflow: unstarted.length,
      otherEngineStarts: otherStarts,
      total: summarize(samples.map((s) => s.totalMs)),
      firstPerAlert: summarize([...perAlert.values()]),
      engine: summarize(samples.map((s) => s.engineMs)),
      pass: summarize(samples.map((s) => s.passMs)),
      relay: summarize(samples.map((s) => s.relayMs)),
      byType: Object.fromEntries(Object.entries(byType).map(([k, v]) => [k, summarize(v)])),
      enginePasses: passes3,
      cpuPercent: cpu3,
    };
    phases.alerts = alertsResult;
    log(
      `  ${fmt(samples.length)} workflows of ${fmt(perAlert.size)} alerts: alert → started p50 ${msl(alertsResult.total.p50)}, ` +
        `p99 ${msl(alertsResult.total.p99)}`,
    );
    log(`  engine: ${passesText(passes3)}`);
    log(`  CPU (% of one core): ${cpuText(cpu3)}`);

    // ── 4: raw starts under the same load ──
    await settle('engine and relay settling', 60);
    await freshState();
    if (!samples.length) throw new Error('no alert started a workflow in phase 3: nothing to compare');
    const replay = samples;
    const rawRate = Math.max(0.5, samples.length / durationS);
    const rawCount = replay.length;
    log(
      `▶ 4/4 raw client.workflow.start — ${fmt(rate)} orders/s: ${warmupS} s warm-up, then ${fmt(rawCount)} ` +
        `starts (${fmt(rawRate, 1)}/s: the workflow types and inputs phase 3 started, new ids) from this process…`,
    );
    cpu = meter();
    passes = passSampler();
    const stopRawLoad = new globalThis.AbortController();
    const bgRaw = backgroundLoad({
      durationS: triggerWindowS + drainTimeoutS + 5,
      warmupS: 0,
      rate: rate - alertRate,
      conns: pacedConnections,
      signal: stopRawLoad.signal,
    });
    lastShown = 0;
    const raw = await pacedCalls({
      count: rawCount,
      rate: rawRate,
      startAt: performance.now() + warmupS * 1000,
      onProgress: (n) => {
        if (n === rawCount || performance.now() - lastShown > 5000) {
          lastShown = performance.now();
          log(`  raw starts sent: ${fmt(n)} / ${fmt(rawCount)}`);
        }
      },
      fn: (i) =>
        temporal.workflow.start(replay[i].workflowType, {
          taskQueue: stack.taskQueue,
          workflowId: `bench-raw-${runId}-${i}:${replay[i].workflowId}`,
          args: replay[i].args,
        }),
    });
    stopRawLoad.abort();
    const bg4 = await bgRaw;
    const cpu4 = cpu();
    const passes4 = await passes();
    const rawFailed = raw.records.filter((r) => !r.ok);
    const rawLatencies = raw.records.filter((r) => r.ok).map((r) => r.doneMs - r.sentMs);
    const rawResult = {
      label: 'raw client.workflow.start',
      rate,
      background: bg4,
      starts: rawCount,
      startsPerSecond: rawRate,
      failed: rawFailed.length,
      firstError: rawFailed[0]?.error,
      maxInFlight: raw.maxInFlight,
      total: summarize(rawLatencies),
      enginePasses: passes4,
      cpuPercent: cpu4,
    };
    phases.raw = rawResult;
    log(`  background orders: ${resultLine('orders', bg4)}`);
    log(
      `  ${fmt(rawLatencies.length)} raw starts: p50 ${msl(rawResult.total.p50)}, p99 ${msl(rawResult.total.p99)}` +
        ` (at most ${raw.maxInFlight} in flight)${rawFailed.length ? `; ${rawFailed.length} failed: ${rawFailed[0].error}` : ''}`,
    );
    log(`  CPU (% of one core): ${cpuText(cpu4)}`);

    // ── report ──
    const A = alertsResult;
    const R = rawResult;
    const off = phases.throughputOff;
    // goalLine's { max } means "below"; the issue's latency goal is "at most".
    const atMost = (label, value, max, note = '') => {
      const met = Number.isFinite(value) && value <= max;
      const shown = `${fmt(value, 2)}×`.padStart(9);
      return {
        met,
        text: `${met ? '✓' : '✗'} ${label.padEnd(44)} ${shown}   goal ≤ ${max}×${note ? `   ${note}` : ''}`,
      };
    };
    const goals = [
      { key: 'p99VsRaw', ...atMost('alert → started p99 / raw start p99', A.total.p99 / R.total.p99, 1.5) },
      {
        key: 'p50VsRaw',
        ...atMost(
          'alert → started p50 / raw start p50',
          A.total.p50 / R.total.p50,
          1.5,
          '(same goal at the median)',
        ),
      },
      {
        key: 'throughputOnOff',
        ...goalLine('order throughput: engine on / off', on.rate / off.rate, { min: 0.9 }),
      },
    ];
    // Phase 3 asked rate − alertRate background orders/s for the whole phase plus the triggers inside it.
    const asked3 = rate - alertRate + A.triggerOrders.sent / A.background.seconds;
    const achieved3 = (A.background.ok + A.triggerOrders.accepted) / A.background.seconds;
    const sustained = achieved3 >= 0.95 * asked3;
    // Processes outside the benchmark (a test run, a build) take cores from one phase and not another.
    const busyPhases = [
      ['1 (engine on)', on.cpuPercent],
      ['2 (engine off)', off.cpuPercent],
      ['3 (alerts)', A.cpuPercent],
      ['4 (raw)', R.cpuPercent],
    ].filter(([, c]) => (c?.other ?? 0) >= 15);
    const busy = busyPhases.length
      ? [
          `⚠ other processes on this machine took ${busyPhases.map(([k, c]) => `${c.other}% of a core in phase ${k}`).join(', ')}: ` +
            'the ratios are less reliable than on an idle machine.',
          '',
        ]
      : [];
    const lines = [
      '',
      `Alert benchmark — ${machine.cores} cores (${machine.cpu}) shared by this process, the API, the worker, the Temporal dev ` +
        `server and PostgreSQL`,
      `Phases 3/4: ${rateNote}; ${fmt(alertRate)} alerts/s for ${durationS} s (${fmt(triggerCount)} trigger SKUs); ` +
        `${fmt(skuCount)} background SKUs`,
      '',
      'Definition: alert → started = the trigger order’s 201 answer (after its commit) → the workflow’s startTime in Temporal,',
      '  per workflow the alert started (notify and transfer); engine = answer → outbox row written (the start of the',
      '  engine pass that read the order: debounce, the pass before it, the snapshot), pass + pickup = → the relay claimed',
      '  the row (the pass evaluating every touched SKU, its commit, the relay waking), relay = → started (rows ahead of',
      '  it in the relay’s batch, the start call). Raw = client.workflow.start called → answered, same types and inputs.',
      '',
      'Latency (ms), alert → workflow started vs raw start, under the same order load:',
      ...barChart(
        [
          { label: 'raw start p50', value: R.total.p50 },
          { label: 'raw start p99', value: R.total.p99 },
          { label: 'alert → started p50', value: A.total.p50 },
          { label: 'alert → started p99', value: A.total.p99 },
          { label: 'alert → first workflow p50', value: A.firstPerAlert.p50 },
          { label: 'alert → first workflow p99', value: A.firstPerAlert.p99 },
        ],
        { unit: ' ms' },
      ),
      '',
      'Where the time goes (mean per workflow, ms):',
      ...stackedBarChart(
        [
          { label: 'alert → started', segments: [A.engine.mean, A.pass.mean, A.relay.mean] },
          { label: 'raw start', segments: [0, 0, R.total.mean] },
        ],
        ['engine (→ outbox row)', 'pass + relay pickup', 'relay start / raw start call'],
        { unit: ' ms' },
      ),
      '',
      `  ${''.padEnd(32)} ${['p50', 'p90', 'p99', 'max'].map((h) => h.padStart(10)).join(' ')}       n`,
      ...[
        ['alert → started', A.total],
        ['  engine', A.engine],
        ['  pass + relay pickup', A.pass],
        ['  relay start', A.relay],
        ['alert → first workflow', A.firstPerAlert],
        ...Object.entries(A.byType).map(([k, v]) => [`  ${k}`, v]),
        ['raw start', R.total],
        ['trigger order (its own latency)', A.triggerOrders.latency],
      ].map(
        ([label, s]) =>
          `  ${label.padEnd(32)} ${[s.p50, s.p90, s.p99, s.max].map((v) => msl(v).padStart(10)).join(' ')} ${fmt(s.n).padStart(7)}`,
      ),
      '',
      `Phase 3 (alerts): ${fmt(achieved3)} orders/s achieved of ${fmt(asked3)} asked over ${fmt(A.background.seconds, 1)} s` +
        `${sustained ? '' : ' — below the rate asked: the API did not keep up'}; orders p50 ${msl(A.background.p50Ms)} / p99 ` +
        `${msl(A.background.p99Ms)}; ${fmt(A.workflows)} workflows (${fmt(A.workflowsPerSecond, 1)}/s) of ` +
        `${fmt(A.triggerOrders.accepted)} alerts, ${fmt(A.alertsWithoutWorkflow)} alerts without a started workflow, ` +
        `${fmt(A.startedAfterLoadEnded)} started after the load ended, ${fmt(A.otherEngineStarts)} starts of other alerts`,
      `  engine: ${passesText(A.enginePasses)}`,
      `  CPU (% of one core): ${cpuText(A.cpuPercent)}`,
      `Phase 4 (raw): ${fmt(R.background.rate)} orders/s, p50 ${msl(R.background.p50Ms)} / p99 ${msl(R.background.p99Ms)}; ` +
        `${fmt(R.starts)} raw starts at ${fmt(R.startsPerSecond, 1)}/s, at most ${R.maxInFlight} in flight, ${R.failed} failed`,
      `  engine: ${passesText(R.enginePasses)}`,
      `  CPU (% of one core): ${cpuText(R.cpuPercent)}`,
      '',
      `Order throughput, closed loop (${connections} connections, ${throughputS} s, ${fmt(skuCount)} background SKUs):`,
      ...barChart(
        [
          { label: 'alert engine on', value: on.rate },
          { label: 'alert engine off', value: off.rate },
        ],
        { unit: ' orders/s' },
      ),
      `  on:  ${resultLine('orders', on)}`,
      `  off: ${resultLine('orders', off)}`,
      `  CPU on:  ${cpuText(on.cpuPercent)}`,
      `  CPU off: ${cpuText(off.cpuPercent)}`,
      `  engine (on): ${passesText(on.enginePasses)}`,
      '',
      ...busy,
      'Against the goals (ratios of values measured in this run):',
      ...goals.map((g) => `  ${g.text}`),
      '',
      'Closing note: ' +
        [
          `alert → workflow started p50 ${msl(A.total.p50)} / p99 ${msl(A.total.p99)} vs raw start ${msl(R.total.p50)} / ${msl(R.total.p99)} ` +
            `(${fmt(A.total.p99 / R.total.p99, 1)}× at p99; goal ≤ 1.5×)`,
          `measured at ${fmt(achieved3)} orders/s${rate < askedRate ? `, not the ${fmt(askedRate)}/s asked (the API sustained ${fmt(on.rate)}/s with the engine on here)` : ''}`,
          `on average ${msl(A.engine.mean)} until the engine pass that reads the order starts and ${msl(A.pass.mean)} until ` +
            `that pass has committed and the relay has claimed the row (a pass every ${msl(A.enginePasses.interval.p50)}), ` +
            `${msl(A.relay.mean)} in the relay`,
          `throughput engine on / off ${fmt(on.rate / off.rate, 2)}× (goal ≥ 0.9×)`,
          `${machine.cores} cores shared by everything`,
        ].join('; ') +
        '.',
    ];
    for (const l of lines) print(l);

    const strip = (s) => {
      const { args: _args, _answeredMs, _startMs, ...rest } = s;
      return rest;
    };
    const file = writeJson('alerts', {
      benchmark: 'alerts',
      at: new Date(started).toISOString(),
      totalSeconds: Math.round((Date.now() - started) / 1000),
      machine,
      settings: {
        askedRate,
        rate,
        rateExplicit,
        alertRate,
        durationS,
        warmupS,
        throughputS,
        connections,
        pacedConnections,
        skuCount,
        triggerCount,
        triggerStock: { [W1]: TRIGGER_W1_STOCK, [W2]: TRIGGER_W2_STOCK },
        backgroundTier: 'B',
        triggerTier: 'A',
      },
      definitions: {
        total: 'trigger order 201 answer (client clock) → workflow startTime (Temporal describe)',
        engine: 'answer → outbox.created_at (start of the engine pass transaction that wrote it)',
        pass: 'outbox.created_at → relay claim (available_at − 30 s lease, first attempts only)',
        relay: 'relay claim → workflow startTime',
        raw: 'client.workflow.start called → answered (this process, same Temporal server)',
      },
      phases,
      samples: samples.map(strip),
      goals: Object.fromEntries(goals.map((g) => [g.key, { met: g.met, text: g.text.slice(2) }])),
    });
    log(`results written to ${file}`);
  } finally {
    await temporalConnection.close().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await stack.stop();
  }
}
