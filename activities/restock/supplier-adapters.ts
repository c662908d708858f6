/**
 * How a purchase order reaches a supplier, behind one interface (the restock activities choose by the
 * supplier's `adapter`):
 * - `manual`: nothing leaves the system; the workflow opens a task for the supplier's partner user, who answers
 *   through the API.
 * - `http`: the order is POSTed as JSON to the supplier's URL, signed like every outgoing webhook
 *   (`X-PeakStock-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`), with the order id as
 *   `Idempotency-Key`; the supplier answers later on POST /v1/restocks/{id}/supplier-confirmation.
 * - `simulated`: deterministic in-process supplier for demos and tests, never for real suppliers: from a seed
 *   (the order id) it decides after how many business minutes it confirms; the workflow applies that answer.
 *
 * Every call is idempotent: the order id is the key of all three (a reminder or a retry repeats the same id).
 * The URL and the secret never appear in an error message or a log line.
 */
import { ApplicationFailure } from '@temporalio/common';
import type {
  PurchaseOrderEvent,
  PurchaseOrderMessage,
  SimulatedConfirmation,
  SupplierAdapterKind,
} from '@peakstock/contracts';
import { seededRandom, seedOf } from '@peakstock/domain';
import { postToPartner } from '../shared/partner-http';

export interface SupplierRecord {
  code: string;
  adapter: SupplierAdapterKind;
  url: string | null;
  secret: string | null;
  leadTimeHours: number;
}

export interface SupplierAdapter {
  place(po: PurchaseOrderMessage): Promise<{ reference: string; simulated: SimulatedConfirmation | null }>;
  remind(po: PurchaseOrderMessage): Promise<void>;
  cancel(po: PurchaseOrderMessage, reason: string): Promise<void>;
}

class ManualAdapter implements SupplierAdapter {
  async place(po: PurchaseOrderMessage) {
    return { reference: po.id, simulated: null };
  }
  async remind(): Promise<void> {}
  async cancel(): Promise<void> {}
}

class HttpAdapter implements SupplierAdapter {
  constructor(
    private readonly supplier: SupplierRecord,
    private readonly nowMs: () => number,
  ) {}

  async place(po: PurchaseOrderMessage) {
    const answer = await this.post('purchase_order.placed', po);
    const reference =
      answer &&
      typeof answer === 'object' &&
      typeof (answer as { reference?: unknown }).reference === 'string'
        ? (answer as { reference: string }).reference.slice(0, 200)
        : po.id;
    return { reference, simulated: null };
  }

  async remind(po: PurchaseOrderMessage): Promise<void> {
    await this.post('purchase_order.reminder', po);
  }

  async cancel(po: PurchaseOrderMessage, reason: string): Promise<void> {
    await this.post('purchase_order.cancelled', po, { reason });
  }

  private post(event: PurchaseOrderEvent, po: PurchaseOrderMessage, extra: object = {}): Promise<unknown> {
    const { url, secret, code } = this.supplier;
    return postToPartner(
      { name: `supplier ${code}`, url, secret },
      event,
      { purchaseOrder: po, ...extra },
      {
        idempotencyKey: `${po.id}:${event}`,
        nowMs: this.nowMs(),
        rejectedType: 'SupplierRejected',
      },
    );
  }
}

/** Confirmation delay range of the simulated supplier, business minutes (the demo scenario's supplier actor). */
export const SIMULATED_CONFIRM_MINUTES: readonly [number, number] = [10, 45];

/** What the simulated supplier answers to an order: the same answer for the same order id, always. */
export function simulatedConfirmation(
  po: { id: string; qty: number },
  leadTimeHours: number,
): SimulatedConfirmation {
  const next = seededRandom(seedOf(po.id));
  const [lo, hi] = SIMULATED_CONFIRM_MINUTES;
  return { afterMinutes: lo + Math.floor(next() * (hi - lo + 1)), qty: po.qty, etaHours: leadTimeHours };
}

class SimulatedAdapter implements SupplierAdapter {
  constructor(private readonly supplier: SupplierRecord) {}
  async place(po: PurchaseOrderMessage) {
    return { reference: `SIM-${po.id}`, simulated: simulatedConfirmation(po, this.supplier.leadTimeHours) };
  }
  async remind(): Promise<void> {}
  async cancel(): Promise<void> {}
}

/**
 * The adapter for a supplier. `allowSimulated` is false in production: a simulated supplier there is refused
 * for good rather than confirming orders that no factory will make.
 */
export function supplierAdapter(
  supplier: SupplierRecord,
  opts: { allowSimulated: boolean; nowMs: () => number },
): SupplierAdapter {
  switch (supplier.adapter) {
    case 'manual':
      return new ManualAdapter();
    case 'http':
      return new HttpAdapter(supplier, opts.nowMs);
    case 'simulated':
      if (!opts.allowSimulated)
        throw ApplicationFailure.nonRetryable(
          `supplier ${supplier.code} is simulated: not in production`,
          'SupplierRejected',
        );
      return new SimulatedAdapter(supplier);
  }
}
