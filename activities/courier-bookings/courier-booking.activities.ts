import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type {
  CourierBookingActivities,
  CourierBookingLine,
  CourierBookingRequestMessage,
  CourierQuote,
  ParcelForecast,
} from '@peakstock/contracts';
import { dateOfDayIndex, localDayIndex, servesRegion } from '@peakstock/domain';
import { queryRows } from '@peakstock/persistence';
import { postToPartner } from '../shared/partner-http';
import { runId, runKey } from '../shared/run';

interface CourierRow {
  code: string;
  regions: string[];
  parcels_per_day: number;
  price_per_parcel: string;
  cutoff: string;
  adapter: CourierQuote['adapter'];
  url: string | null;
  secret: string | null;
}

@Injectable()
export class CourierBookingActivitiesImpl implements CourierBookingActivities {
  constructor(private readonly db: DataSource) {}

  async openCourierBooking(input: {
    workflowId: string;
    warehouse: string;
    fromMs: number;
    toMs: number;
    saleEvent: string | null;
  }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await queryRows<{ run_id: string }>(
        tx,
        'SELECT run_id FROM courier_bookings WHERE workflow_id = $1 FOR UPDATE',
        [input.workflowId],
      );
      if (row?.run_id === runId()) return;
      // A later run of the same booking starts over: the earlier run's lines and hand-overs go with it.
      if (row) await tx.query('DELETE FROM courier_bookings WHERE workflow_id = $1', [input.workflowId]);
      await tx.query(
        `INSERT INTO courier_bookings (workflow_id, run_id, warehouse, from_at, to_at, sale_event, status)
         VALUES ($1, $2, $3, $4, $5, $6, 'confirming')`,
        [
          input.workflowId,
          runId(),
          input.warehouse,
          new Date(input.fromMs).toISOString(),
          new Date(input.toMs).toISOString(),
          input.saleEvent,
        ],
      );
    });
  }

  /**
   * Parcels per local day and region. From a sale event: its forecast units, as orders (the seller's average
   * units per order), this warehouse's share of the orders it served and their region mix, spread evenly over the
   * window's days. Without one: the warehouse's open orders, on their ship-by day (the first day when none).
   */
  async forecastParcels(input: {
    warehouse: string;
    fromMs: number;
    toMs: number;
    saleEvent: string | null;
  }): Promise<ParcelForecast> {
    const [wh] = await queryRows<{ timezone: string; region: string }>(
      this.db,
      'SELECT timezone, region FROM warehouses WHERE code = $1',
      [input.warehouse],
    );
    const zone = { timeZone: wh!.timezone };
    const first = localDayIndex(zone, input.fromMs);
    const last = localDayIndex(zone, input.toMs - 1);
    const days = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    const reasons: string[] = [];
    const demand: ParcelForecast['demand'] = [];
    if (!input.saleEvent) {
      const open = await queryRows<{ region: string; ship_by: Date | null }>(
        this.db,
        `SELECT o.region, o.ship_by FROM orders o
          WHERE o.status = 'accepted' AND o.id IN (SELECT order_id FROM order_allocations WHERE warehouse = $1)`,
        [input.warehouse],
      );
      const cells = new Map<string, number>();
      for (const o of open) {
        const d = o.ship_by
          ? Math.min(last, Math.max(first, localDayIndex(zone, o.ship_by.getTime())))
          : first;
        const k = `${d}|${o.region}`;
        cells.set(k, (cells.get(k) ?? 0) + 1);
      }
      for (const [k, parcels] of cells) {
        const [d, region] = k.split('|') as [string, string];
        demand.push({ day: dateOfDayIndex(Number(d)), region, parcels });
      }
      reasons.push(`${open.length} open orders at ${input.warehouse}: one parcel each, on their ship-by day`);
      return { demand: sortDemand(demand), reasons, timeZone: zone.timeZone };
    }
    const [event] = await queryRows<{ units: number }>(
      this.db,
      'SELECT coalesce(sum(forecast_units), 0)::int AS units FROM sale_event_skus WHERE sale_event = $1',
      [input.saleEvent],
    );
    const [history] = await queryRows<{ orders: number; units: number; here: number }>(
      this.db,
      `SELECT count(DISTINCT a.order_id)::int AS orders, coalesce(sum(a.qty), 0)::int AS units,
              count(DISTINCT a.order_id) FILTER (WHERE a.warehouse = $1)::int AS here
         FROM order_allocations a JOIN orders o ON o.id = a.order_id WHERE o.status <> 'cancelled'`,
      [input.warehouse],
    );
    const warehouses = await queryRows<{ n: number }>(this.db, 'SELECT count(*)::int AS n FROM warehouses');
    const unitsPerOrder = history!.orders > 0 ? history!.units / history!.orders : 1;
    const share = history!.orders > 0 ? history!.here / history!.orders : 1 / Math.max(1, warehouses[0]!.n);
    const parcels = Math.ceil(((event?.units ?? 0) / unitsPerOrder) * share);
    reasons.push(
      `sale event ${input.saleEvent}: ${event?.units ?? 0} units forecast, ${unitsPerOrder.toFixed(2)} units an order` +
        ` → ${Math.ceil((event?.units ?? 0) / unitsPerOrder)} orders; ${(share * 100).toFixed(1)} % ship from ${input.warehouse}` +
        ` → ${parcels} parcels over ${days.length} day(s)`,
    );
    const mix = await queryRows<{ region: string; n: number }>(
      this.db,
      `SELECT o.region, count(*)::int AS n FROM orders o
        WHERE o.status <> 'cancelled' AND o.id IN (SELECT order_id FROM order_allocations WHERE warehouse = $1)
        GROUP BY o.region ORDER BY o.region`,
      [input.warehouse],
    );
    const regions = mix.length ? mix : [{ region: wh!.region, n: 1 }];
    if (!mix.length) reasons.push(`no order history at ${input.warehouse}: every parcel to its own region`);
    const total = regions.reduce((s, r) => s + r.n, 0);
    // Whole parcels: each day and region gets its floor, the remainders go to the largest fractions.
    const cells = days.flatMap((d) =>
      regions.map((r) => ({ day: d, region: r.region, exact: (parcels * r.n) / total / days.length })),
    );
    const left = parcels - cells.reduce((s, c) => s + Math.floor(c.exact), 0);
    const order = [...cells].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)));
    const extra = new Set(order.slice(0, left).map((c) => `${c.day}|${c.region}`));
    for (const c of cells) {
      const n = Math.floor(c.exact) + (extra.has(`${c.day}|${c.region}`) ? 1 : 0);
      if (n > 0) demand.push({ day: dateOfDayIndex(c.day), region: c.region, parcels: n });
    }
    return { demand: sortDemand(demand), reasons, timeZone: zone.timeZone };
  }

  async quoteCouriers(input: {
    workflowId: string;
    warehouse: string;
    regions: string[];
    parcels: number;
  }): Promise<CourierQuote[]> {
    const rows = await queryRows<CourierRow>(this.db, 'SELECT * FROM couriers ORDER BY code');
    const serving = rows.filter((c) => input.regions.some((r) => servesRegion(c, r)));
    // Every courier asked at once: each call is bounded (postToPartner's timeout), so the activity is too.
    return Promise.all(serving.map((c) => this.quote(c, input)));
  }

  private async quote(
    c: CourierRow,
    input: { workflowId: string; warehouse: string; regions: string[]; parcels: number },
  ): Promise<CourierQuote> {
    const listed: CourierQuote = {
      code: c.code,
      regions: c.regions,
      parcelsPerDay: c.parcels_per_day,
      pricePerParcel: Number(c.price_per_parcel),
      cutoff: c.cutoff,
      adapter: c.adapter,
      source: 'listed',
    };
    if (c.adapter !== 'http') return listed;
    // A courier's own quote wins over its listed terms when it gives a usable one; no answer keeps them.
    try {
      const answer = (await postToPartner(
        { name: `courier ${c.code}`, url: c.url, secret: c.secret },
        'courier.quote_requested',
        {
          request: {
            bookingId: input.workflowId,
            warehouse: input.warehouse,
            regions: input.regions.filter((r) => servesRegion(c, r)),
            parcels: input.parcels,
          },
        },
        {
          idempotencyKey: `${runKey(input.workflowId)}:quote:${c.code}`,
          nowMs: Date.now(),
          rejectedType: 'CourierRejected',
        },
      )) as { pricePerParcel?: unknown; parcelsPerDay?: unknown } | null;
      const price = Number(answer?.pricePerParcel);
      const capacity = Number(answer?.parcelsPerDay);
      return {
        ...listed,
        pricePerParcel:
          Number.isFinite(price) && price >= 0 ? Math.round(price * 100) / 100 : listed.pricePerParcel,
        parcelsPerDay: Number.isInteger(capacity) && capacity >= 0 ? capacity : listed.parcelsPerDay,
        source: 'quoted',
      };
    } catch {
      return { ...listed, source: 'listed (quote failed)' };
    }
  }

  async recordBookings(input: { workflowId: string; lines: CourierBookingLine[] }): Promise<void> {
    if (!input.lines.length) return;
    await this.db.query(
      `INSERT INTO courier_booking_lines (workflow_id, courier, day, kind, parcels, status)
       SELECT $1, l.courier, l.day::date, l.kind, l.parcels, 'requested'
         FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]) AS l(courier, day, kind, parcels)
       ON CONFLICT (workflow_id, courier, day, kind) DO UPDATE
         SET parcels = CASE WHEN courier_booking_lines.status = 'declined' THEN courier_booking_lines.parcels
                            ELSE courier_booking_lines.parcels + EXCLUDED.parcels END`,
      [
        input.workflowId,
        input.lines.map((l) => l.courier),
        input.lines.map((l) => l.day),
        input.lines.map((l) => l.kind),
        input.lines.map((l) => l.parcels),
      ],
    );
  }

  async requestCourierConfirmation(input: {
    workflowId: string;
    courier: string;
    overflow: boolean;
  }): Promise<void> {
    const [c] = await queryRows<CourierRow>(this.db, 'SELECT * FROM couriers WHERE code = $1', [
      input.courier,
    ]);
    if (!c || c.adapter !== 'http') return;
    const lines = await queryRows<{ day: string; parcels: number; kind: string }>(
      this.db,
      `SELECT day::text, parcels, kind FROM courier_booking_lines
        WHERE workflow_id = $1 AND courier = $2 AND status = 'requested' ORDER BY day, kind`,
      [input.workflowId, input.courier],
    );
    await postToPartner(
      { name: `courier ${c.code}`, url: c.url, secret: c.secret },
      input.overflow ? 'courier.overflow_requested' : 'courier.booking_requested',
      {
        booking: {
          id: input.workflowId,
          lines,
          confirmUrl: `/v1/courier-bookings/${encodeURIComponent(input.workflowId)}/confirmation`,
        } satisfies CourierBookingRequestMessage,
      },
      {
        idempotencyKey: `${runKey(input.workflowId)}:${input.overflow ? 'overflow' : 'booking'}:${c.code}:${lines.length}`,
        nowMs: Date.now(),
        rejectedType: 'CourierRejected',
      },
    );
  }

  async setCourierStatus(input: {
    workflowId: string;
    courier: string;
    status: 'confirmed' | 'declined';
    kind: 'primary' | 'overflow';
  }): Promise<void> {
    await this.db.query(
      `UPDATE courier_booking_lines SET status = $3
        WHERE workflow_id = $1 AND courier = $2 AND kind = $4 AND status = 'requested'`,
      [input.workflowId, input.courier, input.status, input.kind],
    );
  }

  async markBookingInUse(input: { workflowId: string; unallocated: unknown[] }): Promise<void> {
    await this.db.query(
      `UPDATE courier_bookings SET status = 'in_use', unallocated = $2, updated_at = now() WHERE workflow_id = $1`,
      [input.workflowId, JSON.stringify(input.unallocated)],
    );
  }

  async recordHandover(input: {
    workflowId: string;
    warehouse: string;
    courier: string;
    waveId: string;
    parcels: number;
    key: string;
    at: string;
    day: string;
  }): Promise<{ booked: number; used: number }> {
    await this.db.query(
      `INSERT INTO courier_handovers (workflow_id, idempotency_key, courier, warehouse, wave_id, day, parcels, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (workflow_id, idempotency_key) DO NOTHING`,
      [
        input.workflowId,
        input.key,
        input.courier,
        input.warehouse,
        input.waveId,
        input.day,
        input.parcels,
        input.at,
      ],
    );
    const usage = await this.dayUsage({ workflowId: input.workflowId, day: input.day });
    return usage[input.courier] ?? { booked: 0, used: 0 };
  }

  dayUsage(input: {
    workflowId: string;
    day: string;
  }): Promise<Record<string, { booked: number; used: number }>> {
    return usageOfDay(this.db, input);
  }

  /**
   * What the day still needs from this courier: the warehouse's open orders in the regions it serves, shared
   * with the other couriers booked that day in proportion to their remaining capacity; the rest is released.
   */
  async releaseUnused(input: {
    workflowId: string;
    warehouse: string;
    courier: string;
    day: string;
  }): Promise<{ released: number }> {
    const released = await this.db.transaction(async (tx) => {
      const lines = await queryRows<{
        courier: string;
        kind: string;
        parcels: number;
        released: number;
        regions: string[];
      }>(
        tx,
        `SELECT l.courier, l.kind, l.parcels, l.released, c.regions FROM courier_booking_lines l
           JOIN couriers c ON c.code = l.courier
          WHERE l.workflow_id = $1 AND l.day = $2::date AND l.status = 'confirmed'
          ORDER BY l.courier, l.kind FOR UPDATE OF l`,
        [input.workflowId, input.day],
      );
      const mine = lines.filter((l) => l.courier === input.courier);
      // Released before (a retry after the commit): the same figure again, never a second release.
      if (!mine.length || mine.some((l) => l.released > 0)) return mine.reduce((s, l) => s + l.released, 0);
      const usage = await usageOfDay(tx, input);
      const regions = mine[0]!.regions;
      const [open] = await queryRows<{ n: number }>(
        tx,
        `SELECT count(*)::int AS n FROM orders o
          WHERE o.status = 'accepted' AND ($2::text[] @> ARRAY['*'] OR o.region = ANY($2::text[]))
            AND o.id IN (SELECT order_id FROM order_allocations WHERE warehouse = $1)`,
        [input.warehouse, regions],
      );
      const headroom = (code: string) => Math.max(0, (usage[code]?.booked ?? 0) - (usage[code]?.used ?? 0));
      // The couriers that can take the same open orders share them in proportion to what they have left.
      const sharing = [...new Set(lines.map((l) => l.courier))].filter((code) => {
        const theirs = { regions: lines.find((l) => l.courier === code)!.regions };
        return regions.some((r) => r === '*' || servesRegion(theirs, r)) || theirs.regions.includes('*');
      });
      const total = sharing.reduce((s, code) => s + headroom(code), 0);
      const mineLeft = headroom(input.courier);
      const needed = total > 0 ? Math.ceil((open!.n * mineLeft) / total) : 0;
      let release = Math.max(0, mineLeft - needed);
      let given = 0;
      // Overflow capacity goes back first: it was the dearer, later booking.
      for (const l of [...mine].sort(
        (a, b) => Number(b.kind === 'overflow') - Number(a.kind === 'overflow'),
      )) {
        const give = Math.min(release, l.parcels - l.released);
        if (give <= 0) continue;
        await tx.query(
          `UPDATE courier_booking_lines SET released = released + $5
            WHERE workflow_id = $1 AND courier = $2 AND day = $3::date AND kind = $4`,
          [input.workflowId, input.courier, input.day, l.kind, give],
        );
        release -= give;
        given += give;
      }
      return given;
    });
    // Told after the commit, never while the day's lines are locked; a retry tells it again, same key, same figure.
    if (released > 0) {
      const [c] = await queryRows<CourierRow>(this.db, 'SELECT * FROM couriers WHERE code = $1', [
        input.courier,
      ]);
      if (c?.adapter === 'http')
        await postToPartner(
          { name: `courier ${c.code}`, url: c.url, secret: c.secret },
          'courier.capacity_released',
          { booking: { id: input.workflowId, day: input.day, released } },
          {
            idempotencyKey: `${runKey(input.workflowId)}:release:${c.code}:${input.day}`,
            nowMs: Date.now(),
            rejectedType: 'CourierRejected',
          },
        );
    }
    return { released };
  }

  async closeCourierBooking(input: {
    workflowId: string;
  }): Promise<{ booked: number; used: number; overflow: number; released: number }> {
    await this.db.query(
      `UPDATE courier_bookings SET status = 'closed', updated_at = now() WHERE workflow_id = $1`,
      [input.workflowId],
    );
    const [t] = await queryRows<{ booked: number; overflow: number; released: number; used: number }>(
      this.db,
      `SELECT coalesce(sum(parcels) FILTER (WHERE kind = 'primary'), 0)::int AS booked,
              coalesce(sum(parcels) FILTER (WHERE kind = 'overflow'), 0)::int AS overflow,
              coalesce(sum(released), 0)::int AS released,
              (SELECT coalesce(sum(parcels), 0)::int FROM courier_handovers WHERE workflow_id = $1) AS used
         FROM courier_booking_lines WHERE workflow_id = $1 AND status = 'confirmed'`,
      [input.workflowId],
    );
    return t!;
  }
}

function sortDemand(d: ParcelForecast['demand']): ParcelForecast['demand'] {
  return d.sort((a, b) =>
    a.day < b.day ? -1 : a.day > b.day ? 1 : a.region < b.region ? -1 : a.region > b.region ? 1 : 0,
  );
}

/** Booked (confirmed, less released) and used parcels per courier for one day of a booking. */
async function usageOfDay(
  db: { query(sql: string, params?: unknown[]): Promise<unknown> },
  input: { workflowId: string; day: string },
): Promise<Record<string, { booked: number; used: number }>> {
  const rows = await queryRows<{ courier: string; booked: number; used: number }>(
    db,
    `SELECT coalesce(b.courier, h.courier) AS courier, coalesce(b.booked, 0)::int AS booked,
              coalesce(h.used, 0)::int AS used
         FROM (SELECT courier, sum(parcels - released) AS booked FROM courier_booking_lines
                WHERE workflow_id = $1 AND day = $2::date AND status = 'confirmed' GROUP BY courier) b
         FULL JOIN (SELECT courier, sum(parcels) AS used FROM courier_handovers
                     WHERE workflow_id = $1 AND day = $2::date GROUP BY courier) h ON h.courier = b.courier`,
    [input.workflowId, input.day],
  );
  return Object.fromEntries(rows.map((r) => [r.courier, { booked: r.booked, used: r.used }]));
}
