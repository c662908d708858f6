/**
 * The replay's simulated people, acting only through the public API with their own tokens, at the pace the
 * scenario's `actors` give (business minutes, seeded):
 * - ops, supply managers and warehouse leads decide what their task inbox holds (approve or reject by the role's
 *   reject rate; ops accepts);
 * - leads receive restock deliveries when asked, dispatch and receive transfers, pack kit builds in batches, and
 *   pick, pack and hand over released picking waves at the warehouse's pick rate and packing stations;
 * - the courier of a wave collects its parcels after its pickup delay and reports the hand-over.
 */
import type { Scenario, ScenarioWarehouse } from '@peakstock/domain';
import type { TaskRecord, WorkflowProgress } from '@peakstock/contracts';
import { type ApiUser, minutesIn, randomFor, type ReplayClock, type Scheduler, sleep } from './sim';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Tasks the inbox loop leaves to someone else: the simulated supplier answers its own confirmations. */
const NOT_FOR_PEOPLE = new Set(['restock.supplier_confirmation']);
/** Kit packing reports a batch at most this often (business minutes). */
const KIT_BATCH_MINUTES = 30;
/** Handed-over order ids per wave report (the API takes at most 5,000). */
const HANDOVER_CHUNK = 2_000;

interface WaveView {
  id: string;
  index: number;
  start: string;
  end: string;
  courier: string;
  /** The courier cut-off the wave is due at (it is late only when not handed over by then). */
  cutoff: string;
  orders: string[];
  orderCount: number;
  handedOver: number;
  lastHandedOverAt: string | null;
  pickLines: number;
  units: number;
  status: string;
  late: boolean;
  picked: number;
  packed: number;
}

export interface WavePlanView {
  workflowId: string;
  planId: string;
  warehouse: string;
  status: string;
  waves: WaveView[];
  infeasible?: { orderId: string; code: string; reason: string }[];
}

export interface PeopleStats {
  decisions: { approved: number; rejected: number; refused: number };
  receipts: number;
  dispatches: number;
  transferReceipts: number;
  kitBatches: number;
  waveReports: number;
  handovers: number;
  /** Units the leads received from suppliers, per SKU (what the API accepted). */
  receivedUnits: Record<string, number>;
  /** Kits the leads packed, per kit SKU (what the API accepted). */
  kitsPacked: Record<string, number>;
  /** Business minutes from a task's creation to its decision, by task kind. */
  decisionMinutes: Record<string, number[]>;
}

export class SimulatedPeople {
  readonly stats: PeopleStats = {
    decisions: { approved: 0, rejected: 0, refused: 0 },
    receipts: 0,
    dispatches: 0,
    transferReceipts: 0,
    kitBatches: 0,
    waveReports: 0,
    handovers: 0,
    receivedUnits: {},
    kitsPacked: {},
    decisionMinutes: {},
  };
  /** Every wave plan seen (latest view), for the report's wave timeline. */
  readonly wavePlans = new Map<string, WavePlanView>();
  private stopped = false;
  /** Kit builds (`workflowId:runId`) with a batch scheduled and not yet answered. */
  private readonly kitBatchInFlight = new Set<string>();
  private readonly refusalsLogged: Record<string, number> = {};
  /** Released waves of the running plans at the last look. */
  private releasedWaves = 0;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly s: Scenario,
    private readonly clock: ReplayClock,
    private readonly scheduler: Scheduler,
    private readonly users: {
      ops: ApiUser;
      supplyManager: ApiUser;
      /** Lead per warehouse code. */
      leads: Map<string, ApiUser>;
      /** Courier partner per courier code. */
      couriers: Map<string, ApiUser>;
    },
    private readonly log: (l: string) => void,
  ) {}

  start(pollMs = 300): void {
    const loop = async (name: string, step: () => Promise<void>) => {
      while (!this.stopped) {
        try {
          await step();
        } catch (err) {
          this.log(`${name}: ${(err as Error).message}`);
        }
        await sleep(pollMs);
      }
    };
    const inboxes = [this.users.ops, this.users.supplyManager, ...this.users.leads.values()];
    this.loops = [
      ...inboxes.map((u) => loop(`inbox of ${u.name}`, () => this.readInbox(u))),
      loop('transfers', () => this.followTransfers()),
      loop('kit builds', () => this.followKitBuilds()),
      loop('waves', () => this.followWaves()),
    ];
  }

  /** Whether a released wave is being picked and packed now (the replay slows the clock for it). */
  wavesInProgress(): boolean {
    return this.releasedWaves > 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  // ---- task inboxes

  private async readInbox(user: ApiUser): Promise<void> {
    const page = await user.ok<{ items: TaskRecord[] }>('GET', '/v1/tasks?limit=200');
    for (const task of page.items) {
      if (NOT_FOR_PEOPLE.has(task.kind)) continue;
      const next = randomFor(this.s.seed, `task:${task.kind}:${task.title}`);
      const { range, rejectRate } = this.temper(task.role);
      // An escalated task reaches its new owner now; the first owner had it from its creation.
      const since = task.escalationLevel > 0 ? this.clock.nowMs() : Date.parse(task.createdAt);
      const decideAt = since + minutesIn(range, next) * MINUTE;
      const approve = next() >= rejectRate;
      // Keyed with the role and escalation level: an escalated task is a new decision for whoever has it now.
      this.scheduler.at(`task:${task.id}:${task.role}:${task.escalationLevel}`, decideAt, () =>
        this.act(user, task, approve),
      );
    }
  }

  private temper(role: string): { range: readonly [number, number]; rejectRate: number } {
    const a = this.s.actors;
    if (role === 'warehouse_lead')
      return { range: a.warehouseLead.decisionMinutes, rejectRate: a.warehouseLead.rejectRate };
    if (role === 'supply_manager')
      return { range: a.supplyManager.decisionMinutes, rejectRate: a.supplyManager.rejectRate };
    return { range: a.ops.reactMinutes, rejectRate: 0 };
  }

  private async act(user: ApiUser, task: TaskRecord, approve: boolean): Promise<void> {
    if (task.kind === 'restock.receiving') {
      const expected = Number(task.context.expected);
      const a = await user.send('POST', `/v1/restocks/${encodeURIComponent(task.workflowId)}/receipts`, {
        qty: expected,
        final: true,
        idempotencyKey: `sim-receipt-${task.id}`.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 100),
      });
      if (a.status >= 500) throw new Error(`receipt → ${a.status}`);
      if (a.status < 300) {
        this.stats.receipts++;
        const sku = String(task.context.sku);
        this.stats.receivedUnits[sku] = (this.stats.receivedUnits[sku] ?? 0) + expected;
      }
      return;
    }
    const a = await user.send('POST', `/v1/tasks/${encodeURIComponent(task.id)}/decision`, {
      approve,
      comment: `simulated ${task.role}`,
    });
    if (a.status >= 500) throw new Error(`decision → ${a.status}`);
    if (a.status >= 300) {
      // 409: someone or something closed the task first (an escalation, a timeout): nothing to decide.
      this.stats.decisions.refused++;
      const seen = (this.refusalsLogged[task.kind] = (this.refusalsLogged[task.kind] ?? 0) + 1);
      if (seen <= 2)
        this.log(
          `${user.name}: decision on ${task.kind} refused: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`,
        );
      return;
    }
    this.stats.decisions[approve ? 'approved' : 'rejected']++;
    (this.stats.decisionMinutes[task.kind] ??= []).push(
      (this.clock.nowMs() - Date.parse(task.createdAt)) / MINUTE,
    );
  }

  // ---- transfers: the source lead dispatches, the destination lead receives at the ETA

  private async running(kind: string): Promise<WorkflowProgress[]> {
    const page = await this.users.ops.ok<{ items: WorkflowProgress[] }>(
      'GET',
      `/v1/workflows?kind=${kind}&status=running&limit=200`,
    );
    return page.items;
  }

  private async followTransfers(): Promise<void> {
    for (const t of await this.running('transfer')) {
      const what = t.waitingOn?.what;
      const id = encodeURIComponent(t.workflowId);
      if (what === 'dispatch') {
        const from = String(t.data.fromWarehouse ?? '');
        const lead = this.users.leads.get(from);
        if (!lead) continue;
        const next = randomFor(this.s.seed, `dispatch:${t.subject.sku}:${from}:${t.data.locked}`);
        const at = this.clock.nowMs() + minutesIn(this.s.actors.warehouseLead.decisionMinutes, next) * MINUTE;
        this.scheduler.at(`dispatch:${t.workflowId}:${t.runId}`, at, async () => {
          const a = await lead.send('POST', `/v1/transfers/${id}/dispatch`, {
            carrier: 'line haul (simulated)',
            idempotencyKey: `sim-dispatch-${t.runId ?? 'run'}`.slice(0, 100),
          });
          if (a.status >= 500) throw new Error(`dispatch → ${a.status}`);
          if (a.status < 300) this.stats.dispatches++;
        });
      } else if (what === 'receipt' && t.waitingOn?.until) {
        const to = (t.subject.warehouses ?? [])[1];
        const lead = to ? this.users.leads.get(to) : undefined;
        const qty = Number(t.data.dispatched);
        if (!lead || !(qty > 0)) continue;
        this.scheduler.at(
          `transfer-receipt:${t.workflowId}:${t.runId}`,
          Date.parse(t.waitingOn.until),
          async () => {
            const a = await lead.send('POST', `/v1/transfers/${id}/receipts`, {
              qty,
              final: true,
              idempotencyKey: `sim-transfer-receipt-${t.runId ?? 'run'}`.slice(0, 100),
            });
            if (a.status >= 500) throw new Error(`transfer receipt → ${a.status}`);
            if (a.status < 300) this.stats.transferReceipts++;
          },
        );
      }
    }
  }

  // ---- kit builds: the lead packs at the packing stations' pace until the build is packed

  private packingUnitsPerHour(w: ScenarioWarehouse): number {
    return Math.max(1, this.s.actors.packing.unitsPerStationHour * w.packStations);
  }

  private async followKitBuilds(): Promise<void> {
    for (const k of await this.running('kit_build')) {
      if (k.waitingOn?.what !== 'packed batches') continue;
      const warehouse = (k.subject.warehouses ?? [])[0];
      const w = this.s.warehouses.find((x) => x.code === warehouse);
      const lead = warehouse ? this.users.leads.get(warehouse) : undefined;
      if (!w || !lead) continue;
      const left = Number(k.data.qty) - Number(k.data.packed);
      if (!(left > 0)) continue;
      // One batch per packed figure the projection shows, and one in flight per build: a stale projection
      // cannot make the lead pack (and the replay count) the same batch twice.
      const build = `${k.workflowId}:${k.runId}`;
      const packedBefore = Number(k.data.packed);
      const key = `kit-batch:${build}:${packedBefore}`;
      if (this.kitBatchInFlight.has(build) || this.scheduler.has(key)) continue;
      const batch = Math.max(
        1,
        Math.min(left, Math.floor((this.packingUnitsPerHour(w) * KIT_BATCH_MINUTES) / 60)),
      );
      this.kitBatchInFlight.add(build);
      this.scheduler.at(key, this.clock.nowMs() + KIT_BATCH_MINUTES * MINUTE, async () => {
        const a = await lead.send('POST', `/v1/kit-builds/${encodeURIComponent(k.workflowId)}/batches`, {
          packed: batch,
          idempotencyKey: `sim-kit-${k.runId ?? 'run'}-${packedBefore}`.slice(0, 100),
        });
        if (a.status >= 500) throw new Error(`kit batch → ${a.status}`);
        if (a.status < 300) {
          this.stats.kitBatches++;
          const kit = String(k.subject.sku);
          this.stats.kitsPacked[kit] = (this.stats.kitsPacked[kit] ?? 0) + batch;
        }
        this.kitBatchInFlight.delete(build);
      });
    }
  }

  // ---- picking waves: pick and pack a released wave, then the courier collects it

  private async followWaves(): Promise<void> {
    let released = 0;
    for (const p of await this.running('wave_plan')) {
      const a = await this.users.ops.send('GET', `/v1/wave-plans/${encodeURIComponent(p.workflowId)}`);
      if (a.status === 404) continue; // still planning: nothing stored yet
      if (a.status !== 200) throw new Error(`wave plan ${p.workflowId} → ${a.status}`);
      const plan = a.body as WavePlanView;
      this.wavePlans.set(plan.planId, plan);
      if (plan.status !== 'approved') continue;
      const w = this.s.warehouses.find((x) => x.code === plan.warehouse);
      const lead = this.users.leads.get(plan.warehouse);
      if (!w || !lead) continue;
      for (const wave of plan.waves) {
        if (wave.status !== 'released' || !wave.orderCount) continue;
        released++;
        this.workWave(plan, wave, w, lead);
      }
    }
    this.releasedWaves = released;
  }

  private workWave(plan: WavePlanView, wave: WaveView, w: ScenarioWarehouse, lead: ApiUser): void {
    // Pickers start when the wave is released, at its start; the replay only notices a little later.
    const startMs = Date.parse(wave.start);
    const hours = Math.max(
      wave.pickLines / Math.max(1, w.pickLinesPerHour),
      wave.units / this.packingUnitsPerHour(w),
    );
    const doneMs = startMs + Math.max(MINUTE, hours * HOUR);
    const midMs = (startMs + doneMs) / 2;
    /** Reports the wave's figures; answers how many orders it handed over. */
    const report = async (
      step: string,
      picked: number,
      packed: number,
      handedOverOrderIds: string[],
    ): Promise<number> => {
      for (let attempt = 0; ; attempt++) {
        const a = await lead.send('POST', `/v1/waves/${wave.id}/progress`, {
          picked,
          packed,
          handedOverOrderIds,
          idempotencyKey: `sim-${step}-${attempt}`,
        });
        if (a.status >= 500) throw new Error(`wave progress → ${a.status}`);
        if (a.status < 300) {
          this.stats.waveReports++;
          return handedOverOrderIds.length;
        }
        // Orders cancelled since the plan are not handed over: drop those the API names, report the rest.
        const fields = ((a.body as { errors?: { field: string }[] })?.errors ?? []).map((e) => e.field);
        const bad = new Set(
          fields
            .map((f) => /^handedOverOrderIds\[(\d+)\]$/.exec(f)?.[1])
            .filter((x): x is string => !!x)
            .map(Number),
        );
        if (!bad.size || attempt > 3) {
          this.log(`wave ${wave.id} (${step}): ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
          return 0;
        }
        handedOverOrderIds = handedOverOrderIds.filter((_, i) => !bad.has(i));
      }
    };
    const keyBase = `wave:${wave.id}`;
    // Noticed after its midpoint (the replay polls): the first report is the finished one.
    if (doneMs > this.clock.nowMs())
      this.scheduler.at(`${keyBase}:half`, midMs, async () => {
        await report('half', Math.floor(wave.pickLines / 2), Math.floor(wave.orderCount / 2), []);
      });
    // Packed parcels go onto the courier's cage as they are done: the last report hands the wave over (its
    // orders ship); the courier's driver collects the cage after the pickup delay and reports the parcels.
    this.scheduler.at(`${keyBase}:packed`, doneMs, async () => {
      let parcels = 0;
      for (let i = 0; i < wave.orders.length; i += HANDOVER_CHUNK) {
        const chunk = wave.orders.slice(i, i + HANDOVER_CHUNK);
        parcels += await report(`handover-${i}`, wave.pickLines, wave.orderCount, chunk);
      }
      this.stats.handovers++;
      const courier = this.users.couriers.get(wave.courier);
      if (!courier || parcels === 0) return;
      const next = randomFor(this.s.seed, `pickup:${plan.warehouse}:${wave.index}:${wave.orderCount}`);
      const pickupMs =
        this.clock.nowMs() + minutesIn(this.s.actors.courier.pickupDelayMinutes, next) * MINUTE;
      this.scheduler.at(`${keyBase}:pickup`, pickupMs, async () => {
        const a = await courier.send('POST', '/v1/courier-handovers', {
          courier: wave.courier,
          warehouse: plan.warehouse,
          waveId: wave.id,
          parcels,
          idempotencyKey: `sim-handover-${wave.id}`,
        });
        if (a.status >= 500) throw new Error(`courier hand-over → ${a.status}`);
        if (a.status >= 300)
          this.log(
            `courier ${wave.courier} pickup of wave ${wave.id}: ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`,
          );
      });
    });
  }
}
