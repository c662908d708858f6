// Prints each suite's wall time, then the closing line CI reads: `N passed, N failed` (and skipped, if any).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const rows = results.testResults
      .map((r) => ({
        file: require('node:path').relative(process.cwd(), r.testFilePath),
        ms: r.perfStats.end - r.perfStats.start,
        failed: r.numFailingTests > 0 || Boolean(r.testExecError),
      }))
      .sort((a, b) => b.ms - a.ms);
    const width = Math.max(...rows.map((r) => r.file.length), 10);
    const longest = Math.max(...rows.map((r) => r.ms), 1);
    console.log('\nSuite timings:');
    for (const r of rows) {
      const bar = '█'.repeat(Math.max(1, Math.round((r.ms / longest) * 30)));
      console.log(
        `  ${r.failed ? '✗' : '✓'} ${r.file.padEnd(width)} ${(r.ms / 1000).toFixed(1).padStart(6)} s ${bar}`,
      );
    }
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    // `npm test` prints this line last, after jest's own summary (CI reads the closing line).
    if (process.env.PEAKSTOCK_TEST_SUMMARY_FILE)
      require('node:fs').writeFileSync(process.env.PEAKSTOCK_TEST_SUMMARY_FILE, line);
    else console.log(`\n${line}`);
  }
}
module.exports = SummaryReporter;
