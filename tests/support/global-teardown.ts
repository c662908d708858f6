type Stoppable = { stop(): Promise<void> };
const g = globalThis as unknown as { __peakstockStack?: Stoppable[] };

export default async function globalTeardown(): Promise<void> {
  for (const s of (g.__peakstockStack ?? []).reverse()) await s.stop().catch(() => undefined);
}
