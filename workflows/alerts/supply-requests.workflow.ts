/**
 * First bodies of the restock and transfer workflows as alerts start them: they record the request with the
 * numbers behind it (visible in the workflow list and linked from the alert) and finish. The full workflows
 * (supplier, approvals, dispatch, receipts) replace these bodies; `schemaVersion` in the input tells the
 * versions apart, and these bodies complete at once, so no open history ever meets the later code.
 */
import type { RestockRequestInput, SupplyRequestResult } from '@peakstock/contracts';
import { BusinessTime } from '../shared/business-time';
import { ProgressTracker } from '../shared/progress';

export async function restockWorkflow(input: RestockRequestInput): Promise<SupplyRequestResult> {
  const time = new BusinessTime(input.clock);
  const progress = new ProgressTracker(time, {
    kind: 'restock',
    steps: ['requested'],
    startedBy: input.startedBy,
    subject: { sku: input.sku, warehouses: [input.warehouse] },
  });
  await progress.finish('completed', 'requested', {
    schemaVersion: input.schemaVersion,
    sku: input.sku,
    warehouse: input.warehouse,
    need: input.need,
    urgency: input.urgency,
    reason: input.reason,
    numbers: input.numbers,
  });
  return { schemaVersion: 1, outcome: 'recorded' };
}
