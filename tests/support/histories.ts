/**
 * Recorded workflow histories: a suite that drives a path to its end can keep the history under tests/replay/
 * (`RECORD_HISTORIES=1 npm test -- --selectProjects workflows`), and tests/workflows/replay.spec.ts replays
 * every kept history against the current workflow code on every run, so a change that would break a running
 * workflow's determinism fails CI instead of a night of 11.11.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const REPLAY_DIR = path.join(__dirname, '..', 'replay');

/** Writes the closed workflow's history as tests/replay/<name>.history.bin when RECORD_HISTORIES=1; no-op otherwise. */
export async function keepHistory(
  client: Client,
  workflowId: string,
  name: string,
  /** A run that continued as new (the latest run otherwise). */
  runId?: string,
): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const handle = client.workflow.getHandle(workflowId, runId);
  await handle.result().catch(() => undefined); // only closed histories are kept
  const history = await handle.fetchHistory();
  mkdirSync(REPLAY_DIR, { recursive: true });
  // Binary protobuf: the SDK's JSON helpers trip over the two protobufjs copies npm installs here.
  writeFileSync(
    path.join(REPLAY_DIR, `${name}.history.bin`),
    temporal.api.history.v1.History.encode(history).finish(),
  );
}
