/**
 * A worker killed (SIGKILL) while it sends an email: the activity is retried on another worker, and the
 * recipient sees the message once as counted by Message-ID (the repeat carries the same id).
 */
import { createUser, startTestApi, type TestApi } from '../support/api';
import { buildDist } from '../support/build';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestSmtp, type TestSmtp } from '../support/smtp';
import { eventually, temporalEnv } from '../support/worker';
import { workerProcesses } from '../support/worker-process';

describe('notification sent while the worker dies', () => {
  let db: TestDatabase;
  let api: TestApi;
  let smtp: TestSmtp;
  const taskQueue = 'notify-crash';
  const workers = workerProcesses({
    databaseUrl: () => db.url,
    taskQueue,
    env: () => ({ SMTP_URL: smtp.url }),
  });

  beforeAll(async () => {
    buildDist();
    db = await createTestDatabase();
    smtp = await startTestSmtp();
    api = await startTestApi(db, temporalEnv(taskQueue));
  }, 120_000);
  afterAll(async () => {
    workers.stopAll();
    await api?.close();
    await smtp?.close();
    await db?.drop();
  });

  it('delivers the task email again after the kill with the same Message-ID: one message per key', async () => {
    await createUser(api, { name: 'Ops', role: 'ops', email: 'ops@example.com', locale: 'en' });
    const first = workers.start();
    let killed = false;
    // The first delivery reaches the server; the worker dies before the server's "250 OK" (so before it could
    // record the send). The server then accepts the message anyway, as a real relay may.
    smtp.beforeAccept = async () => {
      if (killed) return;
      killed = true;
      await workers.kill(first);
      workers.start();
    };
    await api.call('POST', '/v1/probes', {
      body: { waitMinutes: 1, probeId: 'crash', approval: { role: 'ops', slaMinutes: 60 } },
    });
    // The activity's 20 s start-to-close timeout runs out on the dead worker; the second worker retries it.
    const mails = await eventually(
      async () => smtp.messages.filter((m) => /crash/.test(m.subject ?? '')),
      (m) => m.length >= 2,
      60_000,
    );
    expect(killed).toBe(true);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(1);
    // …and nothing more arrives once the retry has been recorded.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(smtp.messages.filter((m) => /crash/.test(m.subject ?? '')).length).toBe(mails.length);
  }, 90_000);
});
