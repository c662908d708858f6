import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundleOptions } from '@peakstock/temporal';
import { REPLAY_DIR } from '../support/histories';
import { ENV, requireEnv } from '../support/stack';

/**
 * Every history kept under tests/replay/ (recorded from the workflow suites, see tests/support/histories.ts)
 * replays against the current workflow bundle without a nondeterminism error: running workflows survive a
 * deploy of this code.
 */
const files = readdirSync(REPLAY_DIR)
  .filter((f) => f.endsWith('.history.bin'))
  .sort();

describe('recorded workflow histories replay on the current code', () => {
  beforeAll(() => {
    // Quiet SDK logs (each replay starts and stops a worker); the Runtime exists once per process.
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // already installed by an earlier suite in this process
    }
  });

  it('has every kept path to replay', () => {
    // The paths the suites keep (keepHistory); a history deleted or never recorded fails here.
    expect(files).toEqual([
      'courier-booking-decline-overflow-release.history.bin',
      'kit-build-behind-closed-short.history.bin',
      'kit-build-packed.history.bin',
      'kit-build-short-sourced.history.bin',
      'kit-build-suggestion-accepted-starts-build.history.bin',
      'kit-build-suggestion-accepted.history.bin',
      'presale-suggestion-accepted.history.bin',
      'restock-budget-partial-cancel.history.bin',
      'restock-confirm-receive.history.bin',
      'restock-partial-final-short.history.bin',
      'restock-timeout-next-supplier-cancel.history.bin',
      'sale-event-after-report.history.bin',
      'sale-event-before.history.bin',
      'transfer-not-dispatched-released.history.bin',
      'transfer-partial-approve-dispatch-receive-short.history.bin',
      'transfer-reject-expire-restock.history.bin',
      // Recorded before and after the patch wave-due-at-cutoff: running plans of either code survive a deploy.
      'wave-plan-all-shipped.history.bin',
      'wave-plan-at-cutoff-all-shipped.history.bin',
      'wave-plan-late-at-cutoff-next-cycle.history.bin',
      'wave-plan-moves-late-next-cycle.history.bin',
    ]);
  });

  it('fails a change made without patched(): the check can fail', async () => {
    const { code } = await bundleWorkflowCode({
      ...workflowBundleOptions(),
      workflowsPath: path.join(__dirname, '..', 'fixtures', 'workflows', 'nondeterministic.ts'),
      logger: new DefaultLogger('WARN'),
    });
    const file = 'wave-plan-all-shipped.history.bin';
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(REPLAY_DIR, file)));
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { code } },
        history,
        history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? 'wave-plan',
      ),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  }, 120_000);

  it.each(files)('%s', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(REPLAY_DIR, file)));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: requireEnv(ENV.workflowBundle) } },
      history,
      // The workflow's own id (task ids and keys derive from it), as the server recorded it at the start.
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ??
        path.basename(file, '.history.bin'),
    );
  });
});
