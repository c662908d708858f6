import type { Scenario, ScenarioLiveSession } from './types';

/**
 * The live session an order belongs to: its channel matches and its `t` (seconds after `startsAt`) lies in the
 * session's window `[startsAtMinute, endsAtMinute)`. Sessions of one channel never overlap (parseScenario
 * rejects that), so there is at most one. Undefined outside every session.
 */
export function liveSessionOf(
  scenario: Pick<Scenario, 'liveSessions'>,
  channel: string,
  tSeconds: number,
): ScenarioLiveSession | undefined {
  for (const session of scenario.liveSessions) {
    if (
      session.channel === channel &&
      tSeconds >= session.startsAtMinute * 60 &&
      tSeconds < session.endsAtMinute * 60
    )
      return session;
  }
  return undefined;
}
