import type { BusinessClock } from '@peakstock/domain';

/** An order that is paid but has no stock behind it: ops decide to cancel it or to ship it later as presale. */
export interface OversoldOrderInput {
  orderId: string;
  channel: string;
  externalId: string;
  lines: { sku: string; qty: number }[];
  /** Why it is oversold: arrived paid without stock, or its units were lost in a count or adjustment. */
  reason: 'paid_without_stock' | 'stock_shortfall';
  clock: BusinessClock;
  /** Business minutes ops have before the task escalates to the supply manager. */
  slaMinutes: number;
}

export interface OversoldOrderResult {
  outcome: 'presale' | 'cancelled' | 'expired';
}

export interface OversoldOrderActivities {
  /** Cancels the oversold order (idempotent); releases whatever it still holds. */
  cancelOversoldOrder(input: { orderId: string; at: string; actor: string }): Promise<void>;
  /** Moves the oversold order's lines into the presale backlog (idempotent), served first by arrivals. */
  moveOversoldToPresale(input: { orderId: string; at: string; actor: string; shipBy: string }): Promise<void>;
}
