// What a benchmark started is stopped on every way out: normal end, failure, Ctrl-C (SIGINT), SIGTERM, SIGHUP.
const cleanups = [];
let running;

/** Registers fn (async) to run at the end, last registered first. Answers a function that unregisters it. */
export function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs every registered cleanup once (later calls wait for the same run). */
export function runCleanups(log = console.error) {
  running ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      await Promise.resolve()
        .then(fn)
        .catch((err) => log(`cleanup failed: ${err?.message ?? err}`));
    }
  })();
  return running;
}

/**
 * On Ctrl-C, SIGTERM or SIGHUP: says so, runs every cleanup once and exits 130. What was under way fails then
 * (connections closed under it); only the cleanup matters from there on.
 */
export function cleanUpOnSignals(say, what) {
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      say(`${sig}: ${what}…`);
      process.on('uncaughtException', (err) => say(`while stopping: ${err?.message ?? err}`));
      process.on('unhandledRejection', () => undefined);
      void runCleanups(say).finally(() => process.exit(130));
    });
  }
}
