import { createHash } from 'node:crypto';
import { SIGNATURE_HEADER, signWebhook } from '@peakstock/notify';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import { StockService } from './stock.service';

// Any constant: one API replica at a time holds it and pushes; the others stand by.
const LEADER_LOCK = 726202343;
const PUSH_TIMEOUT_MS = 5_000;

export const MESSAGE_ID_HEADER = 'x-peakstock-message-id';

/**
 * Tells each channel with a webhook its changed sellable quantities, at most once per SELLABLE_PUSH_MS (the
 * throttle), so platforms that deduct stock at checkout stop selling before the pool is empty. A message
 * carries only what changed since the last acknowledged one; its id is derived from its content, so a retry of
 * the same news has the same id. One replica pushes (a PostgreSQL advisory lock elects it).
 */
@Injectable()
export class SellablePublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('SellablePublisher');
  private timer?: NodeJS.Timeout;
  private leader?: Client;
  private running = false;
  private stopped = false;

  constructor(
    private readonly db: DataSource,
    private readonly stock: StockService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.sellablePushMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 20));
    await this.leader?.end().catch(() => undefined);
  }

  private async isLeader(): Promise<boolean> {
    if (this.leader) return true;
    const client = new Client({ connectionString: this.config.database.url, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      const [row] = (await client.query('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK])).rows as {
        ok: boolean;
      }[];
      if (!row?.ok) {
        await client.end();
        return false;
      }
      client.on('error', () => {
        this.leader = undefined; // the lock went with the connection; another replica may take over
      });
      this.leader = client;
      return true;
    } catch {
      await client.end().catch(() => undefined);
      return false;
    }
  }

  /** One pass over every channel with a webhook; exposed for tests. */
  async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      if (!(await this.isLeader())) return;
      const channels: { code: string; webhook_url: string; webhook_secret: string | null }[] =
        await this.db.query(
          'SELECT code, webhook_url, webhook_secret FROM channels WHERE webhook_url IS NOT NULL ORDER BY code',
        );
      for (const c of channels) await this.pushChannel(c.code, c.webhook_url, c.webhook_secret);
    } catch (err) {
      this.log.warn(`sellable push pass failed: ${String(err)}`);
    } finally {
      this.running = false;
    }
  }

  private async pushChannel(channel: string, url: string, secret: string | null): Promise<void> {
    const now = await this.stock.sellableFor(channel);
    const published: { sku: string; qty: number; message_id: string }[] = await this.db.query(
      'SELECT sku, qty, message_id FROM channel_sellable_published WHERE channel = $1 ORDER BY published_at DESC',
      [channel],
    );
    const before = new Map(published.map((p) => [p.sku, p.qty]));
    const changed = now.items
      .filter((i) => before.get(i.sku) !== i.sellable)
      .map((i) => ({ sku: i.sku, sellable: i.sellable }));
    if (changed.length === 0) return;
    // Chained on the last acknowledged message: news that repeats an older quantity still gets a new id, while a
    // retry of this very message keeps its id (nothing was acknowledged in between).
    const previous = published[0]?.message_id ?? '';
    const messageId = createHash('sha256')
      .update(JSON.stringify([channel, previous, changed]))
      .digest('hex')
      .slice(0, 32);
    const body = JSON.stringify({ channel, messageId, items: changed });
    const ts = Date.now();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [MESSAGE_ID_HEADER]: messageId,
          ...(secret ? { [SIGNATURE_HEADER]: signWebhook(secret, ts, body) } : {}),
        },
        body,
        signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
      });
      if (!res.ok) {
        this.log.warn(`channel ${channel} webhook answered ${res.status}; retrying next pass`);
        return;
      }
    } catch (err) {
      this.log.warn(`channel ${channel} webhook unreachable (${String(err)}); retrying next pass`);
      return;
    }
    await this.db.query(
      `INSERT INTO channel_sellable_published (channel, sku, qty, message_id)
       SELECT $1, sku, qty, $4 FROM unnest($2::text[], $3::int[]) AS t(sku, qty)
       ON CONFLICT (channel, sku) DO UPDATE SET qty = EXCLUDED.qty, message_id = EXCLUDED.message_id, published_at = now()`,
      [channel, changed.map((c) => c.sku), changed.map((c) => c.sellable), messageId],
    );
  }
}
