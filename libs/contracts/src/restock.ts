/**
 * The urgent factory restock (PRODUCT.md §3): its inputs (from an alert or from a person), the partner and lead
 * answers it takes as Temporal updates with validators, and its activities. JSON-plain; times are business time.
 *
 * Validators refuse with an ApplicationFailure whose type the API maps to a status, nothing reaching history:
 * `INVALID_STATE` (409: finished, or not at that step), `IDEMPOTENCY_CONFLICT` (409: the key was used for another
 * answer), `VALIDATION_FAILED` (422; `details[0]` is the `{ field, reason }[]` list) and `DEADLINE_PASSED` (the
 * API already answered 503).
 */
import { defineUpdate } from '@temporalio/workflow';
import type { BusinessClock, RestockQuantity } from '@peakstock/domain';
import type { RestockRequestInput } from './alerts';
import type { ProgressActor } from './progress';
import type { DecisionActor } from './tasks';

export const RESTOCK_URGENCIES = ['normal', 'urgent'] as const;
export type RestockUrgency = (typeof RESTOCK_URGENCIES)[number];

/**
 * How the system talks to a supplier: `manual` opens a task for the supplier's partner user, who answers through
 * the API; `http` POSTs the purchase order, signed, to the supplier's URL, and the answer comes on the same API
 * route; `simulated` confirms by itself after a seeded delay (demos and tests only: refused in production).
 */
export const SUPPLIER_ADAPTERS = ['manual', 'http', 'simulated'] as const;
export type SupplierAdapterKind = (typeof SUPPLIER_ADAPTERS)[number];

/** A restock asked for by a person (POST /v1/restocks). */
export interface RestockStartInput {
  schemaVersion: 2;
  sku: string;
  warehouse: string;
  /** Units to order; null: the workflow computes them (libs/domain restockQuantity). */
  qty: number | null;
  urgency: RestockUrgency;
  /** The supplier to ask first; null: the one landing soonest. */
  supplierCode: string | null;
  reason: string;
  clock: BusinessClock;
  startedBy: ProgressActor;
}

/**
 * Either start of `restockWorkflow`: alerts send schemaVersion 1 (their `need` is shown, the quantity is
 * computed), people schemaVersion 2. The first body of the workflow (schemaVersion 1 only) completed at once, so
 * no open history meets this one.
 */
export type RestockInput = RestockRequestInput | RestockStartInput;

export type RestockOutcome =
  | 'received'
  | 'closed_short'
  | 'not_needed'
  | 'no_supplier'
  | 'rejected'
  | 'expired'
  | 'unconfirmed'
  | 'cancelled';

export interface RestockResult {
  outcome: RestockOutcome;
  /** Units ordered (after the supply manager's decision), 0 when nothing was. */
  ordered: number;
  confirmed: number;
  received: number;
  /** Confirmed units that will not come (a final receipt short, or never received). */
  short: number;
  supplier: string | null;
  purchaseOrder: string | null;
}

/** The supplier (its partner user, its system over HTTP, or ops) confirms the order with a quantity and an ETA. */
export interface SupplierConfirmationInput {
  qty: number;
  /** Business instant, ISO 8601. */
  eta: string;
  idempotencyKey: string;
  actor: DecisionActor;
  /** Real epoch ms after which the workflow refuses the update (the API answered 503 by then). */
  notAfterMs: number;
}

export interface SupplierConfirmationResult {
  purchaseOrder: string;
  supplier: string;
  confirmed: number;
  eta: string;
}

/** A receipt at the restock's warehouse; `final` closes the order short, recording the difference. */
export interface RestockReceiptInput {
  qty: number;
  final: boolean;
  idempotencyKey: string;
  actor: DecisionActor;
  notAfterMs: number;
}

export interface RestockReceiptResult {
  purchaseOrder: string;
  /** This receipt's units, and all received so far. */
  qty: number;
  received: number;
  /** Still expected after this receipt (0 when closed). */
  outstanding: number;
  closed: boolean;
  /** Units recorded as never coming when a final receipt closed the order short. */
  short: number;
  /** Units of this receipt reserved for presale orders waiting for the SKU. */
  servedBacklog: number;
}

export interface RestockCancelInput {
  reason: string;
  actor: DecisionActor;
  notAfterMs: number;
}

export interface RestockCancelResult {
  /** The workflow compensates (purchase order withdrawn, on-order and inbound removed) and finishes. */
  status: 'cancelling';
  /** The stage it was cancelled in. */
  stage: string;
}

export const supplierConfirmationUpdate = defineUpdate<
  SupplierConfirmationResult,
  [SupplierConfirmationInput]
>('restock.supplierConfirmation');
export const restockReceiptUpdate = defineUpdate<RestockReceiptResult, [RestockReceiptInput]>(
  'restock.receipt',
);
export const restockCancelUpdate = defineUpdate<RestockCancelResult, [RestockCancelInput]>('restock.cancel');

export interface RestockSupplierChoice {
  code: string;
  name: string;
  adapter: SupplierAdapterKind;
  leadTimeHours: number;
  unitsPerDay: number;
  unitCost: number;
  landingHours: number;
  costFen: number;
}

/** What the workflow decides from: the suppliers to try in order, the quantity (and its maths) and the budget. */
export interface RestockPlan {
  sku: string;
  warehouse: string;
  suppliers: RestockSupplierChoice[];
  qty: number;
  /** The maths behind `qty`; null when the requester gave the quantity. */
  maths: RestockQuantity | null;
  /** Per-order budget in fen; null: none set (no approval needed). */
  budgetPerOrderFen: number | null;
  levels: { onHand: number; reserved: number; inbound: number; onOrder: number };
}

/** How the simulated adapter will answer: after this many business minutes, with this quantity and lead. */
export interface SimulatedConfirmation {
  afterMinutes: number;
  qty: number;
  etaHours: number;
}

export interface RestockActivities {
  /** Reads levels, demand, the sale event, suppliers and the budget; computes the quantity unless given. */
  planRestock(input: {
    sku: string;
    warehouse: string;
    qty: number | null;
    /** The trigger's need (alerts, transfers): the computed quantity is at least this, less what is coming. */
    need: number | null;
    supplierCode: string | null;
    at: string;
  }): Promise<RestockPlan>;
  /** The order exists and its units are on order at the warehouse (ledger 'on_order'), once per id. */
  recordPurchaseOrder(input: {
    id: string;
    workflowId: string;
    runId: string;
    supplier: string;
    sku: string;
    warehouse: string;
    qty: number;
    unitCost: number;
    urgency: RestockUrgency;
    /** Business instant by which the confirmation is expected (told to the supplier). */
    confirmBy: string;
    at: string;
    actor: { kind: string; id: string };
  }): Promise<void>;
  /**
   * Sends the order through the supplier's adapter (idempotent: the order id is the key). Fails with
   * `SupplierRejected` when the supplier refuses it for good.
   */
  sendPurchaseOrder(input: {
    poId: string;
    at: string;
  }): Promise<{ reference: string; simulated: SimulatedConfirmation | null }>;
  /** Reminds the supplier's system (http: the order again, same id); nothing for the others. */
  remindPurchaseOrder(input: { poId: string; at: string }): Promise<void>;
  /** On order → inbound with the ETA (ledger 'inbound'), and the arrival the alerts count. Once per order. */
  confirmPurchaseOrder(input: {
    poId: string;
    qty: number;
    eta: string;
    at: string;
    actor: { kind: string; id: string };
  }): Promise<void>;
  /** Stock posted once per key (ledger 'receipt'), the presale backlog served first; `final` closes short. */
  postRestockReceipt(input: {
    poId: string;
    key: string;
    qty: number;
    final: boolean;
    at: string;
    actor: { kind: string; id: string };
  }): Promise<RestockReceiptResult>;
  /**
   * Takes back what the order still holds (on order, or inbound not yet received) and ends its arrival
   * (cancelled, or closed when it closes short). Idempotent; answers with what it removed.
   */
  withdrawPurchaseOrder(input: {
    poId: string;
    status: 'withdrawn' | 'cancelled' | 'closed_short';
    reason: string;
    at: string;
    actor: { kind: string; id: string };
  }): Promise<{ onOrderRemoved: number; inboundRemoved: number }>;
  /** Tells the supplier's system the order is cancelled (http; nothing to tell for the others). */
  cancelPurchaseOrderAtSupplier(input: { poId: string; reason: string; at: string }): Promise<void>;
}

/** What the supplier is told; JSON-plain, the body of the http adapter's request (and what
 * a partner, such as the replay's simulated supplier, reads). */
export interface PurchaseOrderMessage {
  id: string;
  restockId: string;
  supplier: string;
  sku: string;
  warehouse: string;
  qty: number;
  unitCost: number;
  urgency: string;
  /** Business instant by which the system expects the confirmation. */
  confirmBy: string;
  /** Where the supplier answers (POST, with a partner token). */
  confirmUrl: string;
}

export type PurchaseOrderEvent =
  'purchase_order.placed' | 'purchase_order.reminder' | 'purchase_order.cancelled';
