export * from './types';
export { parseScenario, kitComponentsCost } from './parse-scenario';
export { parseTrace, traceTimeline, TRACE_COLUMNS, MAX_TRACE_ERRORS } from './parse-trace';
export { liveSessionOf } from './live-session';
export { renderReplayHtml, type ReplayCharts, type ReplayReport } from './replay-html';
