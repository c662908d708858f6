/**
 * A scenario JSON file and the CSV trace beside it, read and checked together (SCENARIOS.md): every problem is
 * named with its file and JSON path or CSV row, before anything starts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseScenario,
  parseTrace,
  type Scenario,
  type TraceEvents,
  type TraceStats,
} from '@peakstock/domain';

export type LoadedScenario =
  | { ok: true; scenario: Scenario; events: TraceEvents; stats: TraceStats; traceFile: string }
  | { ok: false; errors: string[] };

export function loadScenarioFiles(file: string): LoadedScenario {
  let jsonText: string;
  try {
    jsonText = readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, errors: [`${file}: cannot read: ${(e as Error).message}`] };
  }
  const parsed = parseScenario(jsonText, file);
  if (!parsed.ok) return { ok: false, errors: parsed.errors.map((e) => `${e.file}: ${e.path}: ${e.reason}`) };
  const scenario = parsed.scenario;
  const traceFile = path.join(path.dirname(file), scenario.trace.file);
  let csvText: string;
  try {
    csvText = readFileSync(traceFile, 'utf8');
  } catch (e) {
    return { ok: false, errors: [`${traceFile}: cannot read: ${(e as Error).message}`] };
  }
  const trace = parseTrace(csvText, traceFile, scenario);
  if (!trace.ok) return { ok: false, errors: trace.errors.map((e) => `${e.file}:${e.row}: ${e.reason}`) };
  return { ok: true, scenario, events: trace.events, stats: trace.stats, traceFile };
}
