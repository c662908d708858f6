import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import {
  SIMULATED_CONFIRM_MINUTES,
  simulatedConfirmation,
  supplierAdapter,
  type SupplierRecord,
} from '../../activities/restock/supplier-adapters';
import type { PurchaseOrderMessage } from '@peakstock/contracts';

const po: PurchaseOrderMessage = {
  id: 'restock:MASK:HZ1:1a2b3c4d:1',
  restockId: 'restock:MASK:HZ1',
  supplier: 'FAC',
  sku: 'MASK',
  warehouse: 'HZ1',
  qty: 500,
  unitCost: 4.5,
  urgency: 'urgent',
  confirmBy: '2026-11-11T22:00:00.000Z',
  confirmUrl: 'http://127.0.0.1:3000/v1/restocks/restock%3AMASK%3AHZ1/supplier-confirmation',
};

describe('simulated supplier', () => {
  it('answers the same order the same way every time, inside its delay range, for the whole quantity', () => {
    const a = simulatedConfirmation(po, 48);
    expect(simulatedConfirmation(po, 48)).toEqual(a);
    expect(a.qty).toBe(500);
    expect(a.etaHours).toBe(48);
    const [lo, hi] = SIMULATED_CONFIRM_MINUTES;
    const delays = Array.from(
      { length: 50 },
      (_, i) => simulatedConfirmation({ id: `po-${i}`, qty: 1 }, 1).afterMinutes,
    );
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(lo);
      expect(d).toBeLessThanOrEqual(hi);
    }
    expect(new Set(delays).size).toBeGreaterThan(10); // seeded by the order, not one constant
  });

  it('is refused for good where simulated suppliers are not allowed (production)', () => {
    const sim: SupplierRecord = {
      code: 'SIM',
      adapter: 'simulated',
      url: null,
      secret: null,
      leadTimeHours: 1,
    };
    expect(() => supplierAdapter(sim, { allowSimulated: false, nowMs: Date.now })).toThrow(
      ApplicationFailure,
    );
    try {
      supplierAdapter(sim, { allowSimulated: false, nowMs: Date.now });
    } catch (err) {
      expect((err as ApplicationFailure).type).toBe('SupplierRejected');
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
    }
  });
});

describe('http supplier adapter', () => {
  let server: Server;
  let url: string;
  const secret = 'supplier-secret-0123456789';
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  let answer = { status: 200, body: '{"reference":"SUP-77"}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders?token=in-the-url`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const adapter = () =>
    supplierAdapter(
      { code: 'FAC', adapter: 'http', url, secret, leadTimeHours: 48 },
      { allowSimulated: false, nowMs: () => 1_763_000_000_000 },
    );

  it('POSTs the purchase order signed with the supplier secret, keyed by the order id, and keeps its reference', async () => {
    received.length = 0;
    answer = { status: 200, body: '{"reference":"SUP-77"}' };
    expect(await adapter().place(po)).toEqual({ reference: 'SUP-77', simulated: null });
    const [req] = received;
    const body = JSON.parse(req!.body);
    expect(body).toEqual({ event: 'purchase_order.placed', purchaseOrder: po });
    const expected = createHmac('sha256', secret).update(`1763000000000.${req!.body}`).digest('hex');
    expect(req!.headers['x-peakstock-signature']).toBe(`t=1763000000000,v1=${expected}`);
    expect(req!.headers['idempotency-key']).toBe(`${po.id}:purchase_order.placed`);

    await adapter().cancel(po, 'cancelled by the buyer');
    expect(JSON.parse(received[1]!.body)).toMatchObject({
      event: 'purchase_order.cancelled',
      reason: 'cancelled by the buyer',
    });
  });

  it('treats a refusal as final and an outage as worth retrying, naming neither the URL nor the secret', async () => {
    answer = { status: 422, body: '{"error":"unknown sku"}' };
    const refused = await adapter()
      .place(po)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect((refused as ApplicationFailure).type).toBe('SupplierRejected');
    expect((refused as ApplicationFailure).nonRetryable).toBe(true);

    answer = { status: 503, body: '' };
    const down = await adapter()
      .place(po)
      .catch((e: unknown) => e);
    expect(down).toBeInstanceOf(Error);
    expect(down).not.toBeInstanceOf(ApplicationFailure);
    for (const e of [refused, down]) {
      expect(String((e as Error).message)).not.toContain('in-the-url');
      expect(String((e as Error).message)).not.toContain(secret);
    }
  });
});
