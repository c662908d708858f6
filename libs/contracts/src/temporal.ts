/** Names every process shares: task queue default, workflow types, messages and search attributes. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BusinessClock } from '@peakstock/domain';
import type { WorkflowProgress } from './progress';

export const DEFAULT_TASK_QUEUE = 'peakstock';

export const progressQuery = defineQuery<WorkflowProgress>('progress');
/** Carries a new business clock to a running workflow; its clock-aware sleeps re-plan their timers. */
export const clockSignal = defineSignal<[BusinessClock]>('clock');

export const searchAttributes = {
  kind: defineSearchAttributeKey('PeakKind', SearchAttributeType.KEYWORD),
  sku: defineSearchAttributeKey('PeakSku', SearchAttributeType.KEYWORD),
  warehouses: defineSearchAttributeKey('PeakWarehouses', SearchAttributeType.KEYWORD_LIST),
  saleEvent: defineSearchAttributeKey('PeakSaleEvent', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('PeakStage', SearchAttributeType.KEYWORD),
} as const;

/** Registered idempotently on the namespace at every start (the CLI flag only applies to new namespaces). */
export const searchAttributeRegistrations: { name: string; type: 'Keyword' | 'KeywordList' }[] = [
  { name: 'PeakKind', type: 'Keyword' },
  { name: 'PeakSku', type: 'Keyword' },
  { name: 'PeakWarehouses', type: 'KeywordList' },
  { name: 'PeakSaleEvent', type: 'Keyword' },
  { name: 'PeakStage', type: 'Keyword' },
];

export const workflowTypes = {
  probe: 'probeWorkflow',
  liveSession: 'liveSessionWorkflow',
  oversoldOrder: 'oversoldOrderWorkflow',
  alertNotify: 'alertNotifyWorkflow',
  restock: 'restockWorkflow',
  transfer: 'transferWorkflow',
  presaleSuggestion: 'presaleSuggestionWorkflow',
  kitBuildSuggestion: 'kitBuildSuggestionWorkflow',
  kitBuild: 'kitBuildWorkflow',
  wavePlan: 'wavePlanWorkflow',
  courierBooking: 'courierBookingWorkflow',
  saleEvent: 'saleEventWorkflow',
} as const;

/** Deterministic business ids with a kind prefix; a second identical request joins the first workflow. */
export const workflowIds = {
  probe: (probeId: string) => `probe:${probeId}`,
  liveSession: (sessionId: string) => `live-session:${sessionId}`,
  oversoldOrder: (orderId: string) => `oversold:${orderId}`,
  /** One notification per alert and level reached (or `resolved`). */
  alertNotify: (alertId: string, level: string) => `alert-notify:${alertId}:${level}`,
  /** Keyed on the need (API.md): a second alert for the same need joins the running workflow. */
  restock: (sku: string, warehouse: string) => `restock:${sku}:${warehouse}`,
  transfer: (sku: string, toWarehouse: string) => `transfer:${sku}:${toWarehouse}`,
  presaleSuggestion: (sku: string) => `presale-suggestion:${sku}`,
  kitBuildSuggestion: (kitSku: string, warehouse: string | null) =>
    `kit-build-suggestion:${kitSku}:${warehouse ?? 'network'}`,
  /** One build per kit and warehouse at a time: a second request while it runs joins it. */
  kitBuild: (kitSku: string, warehouse: string) => `kit-build:${kitSku}:${warehouse}`,
  /** One wave-plan workflow per warehouse, cycling window after window while orders remain. */
  wavePlan: (warehouse: string) => `wave-plan:${warehouse}`,
  /** Keyed on the warehouse and the window's first and last local day (or the sale event). */
  courierBooking: (warehouse: string, window: string) => `courier-booking:${warehouse}:${window}`,
  saleEvent: (code: string) => `sale-event:${code}`,
};
