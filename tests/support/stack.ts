/**
 * What the global setup started, handed to test files through environment variables (jest runs the setup in
 * the parent process; its process.env reaches the test workers).
 */
export const ENV = {
  /** postgres:// URL of the server; each suite makes its own database from the migrated template. */
  serverUrl: 'PEAKSTOCK_TEST_PG_SERVER_URL',
  templateDb: 'PEAKSTOCK_TEST_PG_TEMPLATE',
  temporalAddress: 'PEAKSTOCK_TEST_TEMPORAL_ADDRESS',
  workflowBundle: 'PEAKSTOCK_TEST_WORKFLOW_BUNDLE',
} as const;

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with \`npm test\` (the global setup sets it)`);
  return v;
}

/** Debian's chromium, which the browser suite drives (the global setup installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';
