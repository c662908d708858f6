// Every workflow type the worker registers. Workflow files import only @temporalio/workflow, @temporalio/common,
// @peakstock/contracts and @peakstock/domain (enforced by ESLint).
export { probeWorkflow } from './probe/probe.workflow';
export { liveSessionWorkflow } from './live-session/live-session.workflow';
export { oversoldOrderWorkflow } from './oversold-order/oversold-order.workflow';
export { alertNotifyWorkflow } from './alerts/alert-notify.workflow';
export { restockWorkflow } from './restock/restock.workflow';
export { transferWorkflow } from './transfer/transfer.workflow';
export { presaleSuggestionWorkflow, kitBuildSuggestionWorkflow } from './alerts/suggestions.workflow';
export { kitBuildWorkflow } from './kit-build/kit-build.workflow';
export { wavePlanWorkflow } from './wave-plan/wave-plan.workflow';
export { courierBookingWorkflow } from './courier-booking/courier-booking.workflow';
export { saleEventWorkflow } from './sale-event/sale-event.workflow';
