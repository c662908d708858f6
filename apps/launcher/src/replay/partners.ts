/**
 * The replay's simulated suppliers and couriers: one local HTTP server that the system's `http` partner adapters
 * call (signed, as a real partner receives them), and that answers the way SCENARIOS.md's `actors` say, by calling
 * the public API back with each partner's own token after a seeded delay in business time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { CourierBookingRequestMessage, PurchaseOrderMessage } from '@peakstock/contracts';
import type { Scenario } from '@peakstock/domain';
import { SIGNATURE_HEADER, signWebhook } from '@peakstock/notify';
import { type ApiUser, minutesIn, randomFor, type ReplayClock, type Scheduler } from './sim';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface PartnerStats {
  purchaseOrders: number;
  confirmations: number;
  shortShipped: number;
  cancelled: number;
  bookingRequests: number;
  bookingConfirmations: number;
  badSignatures: number;
}

export class SimulatedPartners {
  readonly stats: PartnerStats = {
    purchaseOrders: 0,
    confirmations: 0,
    shortShipped: 0,
    cancelled: 0,
    bookingRequests: 0,
    bookingConfirmations: 0,
    badSignatures: 0,
  };
  private server: Server | null = null;
  private baseUrl = '';
  private readonly cancelled = new Set<string>();

  constructor(
    private readonly s: Scenario,
    private readonly clock: ReplayClock,
    private readonly scheduler: Scheduler,
    /** Partner users by `supplier:<code>` and `courier:<code>`. */
    private readonly partnerUsers: Map<string, ApiUser>,
    readonly secret: string,
    private readonly log: (l: string) => void,
  ) {}

  url(kind: 'supplier' | 'courier', code: string): string {
    return `${this.baseUrl}/${kind}/${encodeURIComponent(code)}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        if (!this.signedByUs(String(req.headers[SIGNATURE_HEADER] ?? ''), body)) {
          this.stats.badSignatures++;
          return answer(401, { error: 'bad signature' });
        }
        const [, kind, code] = (req.url ?? '').split('/');
        try {
          const message = JSON.parse(body) as { event: string } & Record<string, unknown>;
          if (kind === 'supplier') return answer(200, this.supplier(decodeURIComponent(code ?? ''), message));
          if (kind === 'courier') return answer(200, this.courier(decodeURIComponent(code ?? ''), message));
          answer(404, { error: 'unknown partner' });
        } catch (err) {
          answer(400, { error: (err as Error).message });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** Like a partner checking the signature header with the shared secret (freshness is not the point here). */
  private signedByUs(header: string, body: string): boolean {
    const t = /t=(\d+)/.exec(header)?.[1];
    if (!t) return false;
    const expected = Buffer.from(signWebhook(this.secret, Number(t), body));
    const got = Buffer.from(header);
    return expected.length === got.length && timingSafeEqual(expected, got);
  }

  private supplier(code: string, message: { event: string } & Record<string, unknown>): unknown {
    const po = message.purchaseOrder as PurchaseOrderMessage | undefined;
    if (!po) return {};
    if (message.event === 'purchase_order.cancelled') {
      this.cancelled.add(po.id);
      this.stats.cancelled++;
      return {};
    }
    if (message.event !== 'purchase_order.placed') return {};
    this.stats.purchaseOrders++;
    const supplier = this.s.suppliers.find((x) => x.code === code);
    const user = this.partnerUsers.get(`supplier:${code}`);
    if (!supplier || !user) throw new Error(`no simulated supplier ${code}`);
    // Keyed by what was ordered, not by generated ids, so the same scenario and seed decide the same way.
    const next = randomFor(this.s.seed, `supplier:${code}:${po.sku}:${po.warehouse}:${po.qty}`);
    const { confirmMinutes, shortShipRate } = this.s.actors.supplier;
    const after = minutesIn(confirmMinutes, next);
    const short = next() < shortShipRate;
    const qty = short ? Math.max(1, Math.floor(po.qty * (0.5 + 0.4 * next()))) : po.qty;
    this.scheduler.at(`supplier-confirm:${po.id}`, this.clock.nowMs() + after * MINUTE, async () => {
      if (this.cancelled.has(po.id)) return;
      const eta = new Date(this.clock.nowMs() + supplier.leadTimeHours * HOUR).toISOString();
      const a = await user.send(
        'POST',
        `/v1/restocks/${encodeURIComponent(po.restockId)}/supplier-confirmation`,
        { qty, eta, idempotencyKey: `sim-confirm-${po.id}`.slice(0, 100).replace(/[^A-Za-z0-9_.:-]/g, '-') },
      );
      // 409: the restock no longer waits for this supplier (cancelled, or it moved on): nothing to confirm.
      if (a.status >= 500) throw new Error(`supplier confirmation → ${a.status}`);
      if (a.status < 300) {
        this.stats.confirmations++;
        if (short) this.stats.shortShipped++;
      }
    });
    return { reference: `SIM-${po.id}` };
  }

  private courier(code: string, message: { event: string } & Record<string, unknown>): unknown {
    // Quotes: no answer keeps the courier's listed terms (the scenario's figures).
    if (message.event !== 'courier.booking_requested' && message.event !== 'courier.overflow_requested')
      return {};
    const booking = message.booking as CourierBookingRequestMessage | undefined;
    const user = this.partnerUsers.get(`courier:${code}`);
    if (!booking || !user) throw new Error(`no simulated courier ${code}`);
    this.stats.bookingRequests++;
    const lines = booking.lines.map((l) => `${l.day}:${l.kind}:${l.parcels}`).join(',');
    const next = randomFor(this.s.seed, `courier:${code}:${message.event}:${lines}`);
    const after = minutesIn(this.s.actors.courier.pickupDelayMinutes, next);
    const key = `courier-confirm:${code}:${booking.id}:${message.event}:${booking.lines.length}`;
    this.scheduler.at(key, this.clock.nowMs() + after * MINUTE, async () => {
      const a = await user.send(
        'POST',
        `/v1/courier-bookings/${encodeURIComponent(booking.id)}/confirmation`,
        {
          courier: code,
          accept: true,
          idempotencyKey: `sim-${code}-${message.event === 'courier.overflow_requested' ? 'ovf' : 'book'}-${booking.lines.length}`,
        },
      );
      if (a.status >= 500) throw new Error(`courier confirmation → ${a.status}`);
      if (a.status < 300) this.stats.bookingConfirmations++;
      else this.log(`courier ${code}: confirmation of ${booking.id} answered ${a.status}`);
    });
    return {};
  }
}
