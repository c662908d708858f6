/**
 * Courier capacity for a warehouse and a window: forecast parcels per local day and region, take every serving
 * courier's terms (an http courier is asked for a quote), allocate the volume to the cheapest options that meet
 * capacity and cut-off (the pure allocator), and have each courier confirm (its partner in the task inbox, its
 * system on the confirmation route, or the simulated courier at once). A courier that declines or does not answer
 * in time is left out and its share allocated again among the others. During fulfilment hand-overs use the
 * bookings; once a courier's day reaches the overflow threshold (85 % by default) overflow is booked with the next
 * courier before the first runs out, and ahead of each courier's cut-off the capacity the open orders will not
 * need is released.
 */
import {
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type CourierBookingActivities,
  type CourierBookingInput,
  type CourierBookingLine,
  type CourierBookingResult,
  courierConfirmationUpdate,
  courierHandoverUpdate,
  type CourierHandoverResult,
  type CourierQuote,
  type ParcelForecast,
} from '@peakstock/contracts';
import {
  allocateCourierCapacity,
  type CourierAllocation,
  localDate,
  localInstant,
  nextOverflowCourier,
  overflowNeeded,
  parseHhMm,
  type UnallocatedParcels,
} from '@peakstock/domain';
import { courierCall, dbWrite } from '../shared/activity-presets';
import { BusinessTime } from '../shared/business-time';
import { HumanTasks } from '../shared/human-tasks';
import { ProgressTracker } from '../shared/progress';
import { refuse, refuseIfLate } from '../shared/refusals';

const acts = proxyActivities<CourierBookingActivities>(dbWrite);
/** What reaches a courier's system: bounded retries, a refusal final (the workflow carries on without it). */
const partner = proxyActivities<CourierBookingActivities>(courierCall);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Business minutes a courier has to confirm (reminder at half, then ops, then it counts as declined). */
const CONFIRM_SLA_MINUTES = 60;
/** Unused capacity of a day goes back this long before the courier's cut-off that day. */
const RELEASE_LEAD_HOURS = 4;
const DEFAULT_OVERFLOW_AT = 0.85;

type Status = 'confirmed' | 'declined';

export async function courierBookingWorkflow(input: CourierBookingInput): Promise<CourierBookingResult> {
  const time = new BusinessTime(input.clock);
  const { workflowId } = workflowInfo();
  const progress = new ProgressTracker(time, {
    kind: 'courier_booking',
    steps: ['forecasting', 'quoting', 'confirming', 'in use', 'closed'],
    startedBy: input.startedBy,
    subject: { warehouses: [input.warehouse], ...(input.saleEvent ? { saleEvent: input.saleEvent } : {}) },
  });
  const tasks = new HumanTasks(time, progress);
  const threshold = input.overflowAt ?? DEFAULT_OVERFLOW_AT;
  let stage: 'planning' | 'in_use' | 'done' = 'planning';
  /** http couriers asked to confirm, and their answers on the confirmation route. */
  const awaiting = new Set<string>();
  const answers = new Map<string, Status>();
  const handovers = new Map<string, Promise<CourierHandoverResult>>();
  const overflowQueue: { courier: string; day: string }[] = [];
  const overflowed = new Set<string>();
  let zone = { timeZone: 'Asia/Shanghai' };
  const today = () => localDate(zone, time.nowMs());

  setHandler(
    courierConfirmationUpdate,
    (u) => {
      answers.set(u.courier, u.accept ? 'confirmed' : 'declined');
      return Promise.resolve({
        courier: u.courier,
        status: u.accept ? ('confirmed' as const) : ('declined' as const),
      });
    },
    {
      validator: (u) => {
        refuseIfLate(u);
        if (!awaiting.has(u.courier) || answers.has(u.courier))
          throw refuse(`courier ${u.courier} is not asked to confirm anything now`);
      },
    },
  );
  setHandler(
    courierHandoverUpdate,
    async (u) => {
      let pending = handovers.get(u.idempotencyKey);
      if (!pending) {
        const day = today();
        pending = acts
          .recordHandover({
            workflowId,
            warehouse: input.warehouse,
            courier: u.courier,
            waveId: u.waveId,
            parcels: u.parcels,
            key: u.idempotencyKey,
            at: time.nowIso(),
            day,
          })
          .then((usage) => {
            const key = `${u.courier}|${day}`;
            const due = usage.booked > 0 && !overflowed.has(key) && overflowNeeded({ ...usage, threshold });
            if (due) {
              overflowed.add(key);
              overflowQueue.push({ courier: u.courier, day });
            }
            return { courier: u.courier, day, ...usage, overflowDue: due };
          });
        handovers.set(u.idempotencyKey, pending);
        pending.catch(() => handovers.delete(u.idempotencyKey));
      }
      return pending;
    },
    {
      validator: (u) => {
        refuseIfLate(u);
        if (handovers.has(u.idempotencyKey)) return;
        if (stage !== 'in_use') throw refuse('the booking is not in use');
        if (!Number.isInteger(u.parcels) || u.parcels < 1)
          throw refuse('parcels must be a positive integer', 'VALIDATION');
      },
    },
  );

  let asked = 0;
  /** One courier's confirmation of its requested lines, through its adapter; no answer in time is a no. */
  const confirm = async (quote: CourierQuote, kind: 'primary' | 'overflow'): Promise<Status> => {
    let status: Status;
    if (quote.adapter === 'simulated') status = 'confirmed';
    else if (quote.adapter === 'manual') {
      const answer = await tasks.ask({
        key: `confirm-${quote.code}-${++asked}`,
        kind: 'courier.booking',
        title: `Confirm ${kind === 'overflow' ? 'overflow ' : ''}parcel capacity for ${input.warehouse} (${quote.code})`,
        role: 'partner',
        scope: { courier: quote.code },
        context: {
          bookingId: workflowId,
          warehouse: input.warehouse,
          courier: quote.code,
          kind,
          review: `GET /v1/courier-bookings/${workflowId}`,
          approveMeans: 'confirm the requested parcels per day; reject to decline',
        },
        slaMinutes: CONFIRM_SLA_MINUTES,
        escalateTo: 'ops',
      });
      status = answer.outcome === 'decided' && answer.decision.approve ? 'confirmed' : 'declined';
    } else {
      awaiting.add(quote.code);
      // A courier whose system cannot be told (refused, or down past the retries) is a courier that declined.
      // try/await, not .then(): an extra promise hop would reorder this run's commands against the recorded ones.
      let asked = true;
      try {
        await partner.requestCourierConfirmation({
          workflowId,
          courier: quote.code,
          overflow: kind === 'overflow',
        });
      } catch (err) {
        log.warn('courier not reached', { courier: quote.code, error: String(err) });
        asked = false;
      }
      if (asked)
        await time.conditionUntil(() => answers.has(quote.code), time.nowMs() + CONFIRM_SLA_MINUTES * MINUTE);
      status = answers.get(quote.code) ?? 'declined';
      awaiting.delete(quote.code);
      answers.delete(quote.code);
    }
    await acts.setCourierStatus({ workflowId, courier: quote.code, status, kind });
    return status;
  };

  await acts.openCourierBooking({
    workflowId,
    warehouse: input.warehouse,
    fromMs: input.fromMs,
    toMs: input.toMs,
    saleEvent: input.saleEvent,
  });
  await progress.stage('forecasting');
  const forecast: ParcelForecast = await acts.forecastParcels({
    warehouse: input.warehouse,
    fromMs: input.fromMs,
    toMs: input.toMs,
    saleEvent: input.saleEvent,
  });
  zone = { timeZone: forecast.timeZone };
  const total = forecast.demand.reduce((s, d) => s + d.parcels, 0);
  if (total === 0) {
    stage = 'done';
    await acts.closeCourierBooking({ workflowId });
    await condition(allHandlersFinished);
    await progress.finish('completed', 'nothing to book', { reasons: forecast.reasons });
    return { outcome: 'nothing_to_book', booked: 0, used: 0, overflow: 0, released: 0 };
  }
  await progress.stage('quoting', { data: { forecast: forecast.demand, reasons: forecast.reasons } });
  const quotes = await acts.quoteCouriers({
    workflowId,
    warehouse: input.warehouse,
    regions: [...new Set(forecast.demand.map((d) => d.region))],
    parcels: total,
  });

  // Allocate, ask, and allocate what the decliners had again among the rest, until nothing changes.
  const confirmedLoad = new Map<string, number>(); // `${courier}|${day}` → parcels confirmed
  const allocations: CourierAllocation[] = [];
  const declined = new Set<string>();
  let pending = forecast.demand;
  let unallocated: UnallocatedParcels[] = [];
  while (pending.length) {
    const offers = quotes.filter((q) => !declined.has(q.code));
    const round = allocateByDay(pending, offers, confirmedLoad);
    unallocated = [...unallocated, ...round.unallocated];
    if (!round.allocations.length) break;
    const lines: CourierBookingLine[] = round.bookings.map((b) => ({ ...b, kind: 'primary' }));
    await acts.recordBookings({ workflowId, lines });
    await progress.stage('confirming', {
      waitingOn: { who: 'couriers', what: 'confirm the booked capacity' },
      data: { quotes, requested: lines, unallocated },
    });
    const asking = [...new Set(round.bookings.map((b) => b.courier))];
    const statuses = await Promise.all(
      asking.map((code) =>
        confirm(
          quotes.find((q) => q.code === code)!,
          'primary',
        ),
      ),
    );
    pending = [];
    asking.forEach((code, i) => {
      const mine = round.allocations.filter((a) => a.courier === code);
      if (statuses[i] === 'declined') {
        declined.add(code);
        pending.push(...mine.map((a) => ({ day: a.day, region: a.region, parcels: a.parcels })));
      } else {
        allocations.push(...mine);
        for (const a of mine)
          confirmedLoad.set(`${code}|${a.day}`, (confirmedLoad.get(`${code}|${a.day}`) ?? 0) + a.parcels);
      }
    });
  }
  if (!allocations.length) {
    stage = 'done';
    const totals = await acts.closeCourierBooking({ workflowId });
    await condition(allHandlersFinished);
    await progress.finish('completed', 'nothing booked', { unallocated, declined: [...declined] });
    return { outcome: 'nothing_booked', ...totals };
  }

  stage = 'in_use';
  await acts.markBookingInUse({ workflowId, unallocated });
  const booked = [...confirmedLoad.entries()].map(([k, parcels]) => {
    const [courier, day] = k.split('|') as [string, string];
    return { courier, day, parcels };
  });
  await progress.stage('in use', {
    waitingOn: {
      who: `lead of ${input.warehouse} and the couriers`,
      what: 'hand-overs',
      until: new Date(input.toMs).toISOString(),
    },
    data: { bookedPerDay: booked, unallocated, declined: [...declined] },
  });
  // Ahead of each booked courier-day's cut-off, what the open orders will not need goes back.
  const releases = booked
    .map((b) => {
      const quote = quotes.find((q) => q.code === b.courier)!;
      const cutoff = localInstant(zone, Math.round(Date.parse(b.day) / DAY), parseHhMm(quote.cutoff));
      return { ...b, at: cutoff - RELEASE_LEAD_HOURS * HOUR };
    })
    // A deadline already past when the booking starts cannot be met: that day keeps what it booked.
    .filter((r) => r.at > time.nowMs())
    .sort((a, b) => a.at - b.at || (a.courier < b.courier ? -1 : 1));
  const inflight: Promise<unknown>[] = [];
  const overflows: { from: string; to: string; day: string; parcels: number; status?: Status }[] = [];
  const bookOverflow = async (o: { courier: string; day: string }) => {
    const usage = await acts.dayUsage({ workflowId, day: o.day });
    const region = allocations.filter((a) => a.courier === o.courier && a.day === o.day)[0]?.region ?? '*';
    const choice = nextOverflowCourier({
      region,
      couriers: quotes.filter((q) => !declined.has(q.code)),
      usage,
      exclude: [o.courier],
      threshold,
    });
    if (!choice) {
      overflows.push({ from: o.courier, to: '', day: o.day, parcels: 0 });
      return;
    }
    // The share of the first courier's day above the threshold: what it has left when the overflow is due.
    const exhausted = usage[o.courier] ?? { booked: 0, used: 0 };
    const parcels = Math.min(
      choice.headroom,
      Math.max(1, Math.ceil(exhausted.booked * (1 - threshold) - 1e-9)),
    );
    await acts.recordBookings({
      workflowId,
      lines: [{ courier: choice.courier, day: o.day, parcels, kind: 'overflow' }],
    });
    const entry: (typeof overflows)[number] = { from: o.courier, to: choice.courier, day: o.day, parcels };
    overflows.push(entry);
    inflight.push(
      confirm(
        quotes.find((q) => q.code === choice.courier)!,
        'overflow',
      ).then((s) => {
        entry.status = s;
      }),
    );
  };
  const released: { courier: string; day: string; parcels: number }[] = [];
  const drainOverflow = async () => {
    while (overflowQueue.length) await bookOverflow(overflowQueue.shift()!);
    await progress.stage('in use', { data: { bookedPerDay: booked, overflows, releasedPerDay: released } });
  };
  // Couriers whose release falls at the same instant are released together, once.
  const deadlines = [...new Set([...releases.map((r) => r.at), input.toMs])].sort((a, b) => a - b);
  for (const at of deadlines) {
    // Until the deadline, overflow is booked as soon as a hand-over asks for it.
    while (await time.conditionUntil(() => overflowQueue.length > 0, at)) await drainOverflow();
    const due = releases.filter((r) => r.at === at);
    for (const r of due) {
      // A courier that cannot be told keeps the capacity on its books, and the booking carries on.
      let n = 0;
      try {
        ({ released: n } = await partner.releaseUnused({
          workflowId,
          warehouse: input.warehouse,
          courier: r.courier,
          day: r.day,
        }));
      } catch (err) {
        log.warn('capacity not released', { courier: r.courier, day: r.day, error: String(err) });
      }
      released.push({ courier: r.courier, day: r.day, parcels: n });
    }
    if (due.length)
      await progress.stage('in use', { data: { bookedPerDay: booked, overflows, releasedPerDay: released } });
  }
  stage = 'done';
  await Promise.all(inflight);
  await condition(allHandlersFinished);
  await drainOverflow();
  await Promise.all(inflight);
  const totals = await acts.closeCourierBooking({ workflowId });
  await progress.finish('completed', 'closed', {
    ...totals,
    bookedPerDay: booked,
    overflows,
    releasedPerDay: released,
    unallocated,
  });
  return { outcome: 'completed', ...totals };
}

/** The allocator per local day, each courier's daily capacity less what it already confirmed that day. */
function allocateByDay(
  demand: { day: string; region: string; parcels: number }[],
  offers: CourierQuote[],
  confirmed: Map<string, number>,
) {
  const bookings: { courier: string; day: string; parcels: number }[] = [];
  const allocations: CourierAllocation[] = [];
  const unallocated: UnallocatedParcels[] = [];
  for (const day of [...new Set(demand.map((d) => d.day))].sort()) {
    const r = allocateCourierCapacity({
      demand: demand.filter((d) => d.day === day),
      couriers: offers.map((q) => ({
        code: q.code,
        regions: q.regions,
        cutoff: q.cutoff,
        pricePerParcel: q.pricePerParcel,
        parcelsPerDay: Math.max(0, q.parcelsPerDay - (confirmed.get(`${q.code}|${day}`) ?? 0)),
      })),
    });
    bookings.push(...r.bookings.map((b) => ({ courier: b.courier, day: b.day, parcels: b.parcels })));
    allocations.push(...r.allocations);
    unallocated.push(...r.unallocated);
  }
  return { bookings, allocations, unallocated };
}
