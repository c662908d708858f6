import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import type { AuthUser } from './auth-user';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
/** 256 random bits, URL-safe. */
export const newToken = () => randomBytes(32).toString('base64url');

interface CacheEntry {
  user: AuthUser | null;
  expires: number;
}

const MAX_CACHED = 10_000;
/** Failed authentications a client address may make per minute before every token it sends is refused. */
export const AUTH_FAILURES_PER_MINUTE = 30;
const FAILURE_WINDOW_MS = 60_000;

/**
 * Token → user by SHA-256 through a unique index, with a short cache so the order path never waits on it. A
 * revocation here takes effect at once; on other replicas within TOKEN_CACHE_SECONDS.
 */
@Injectable()
export class TokenService {
  private readonly cache = new Map<string, CacheEntry>();
  /**
   * Failed authentications per client address in its current minute. The request limit is per token, so a
   * client guessing tokens gets a fresh allowance with every guess; this caps the guesses instead.
   */
  private readonly failures = new Map<string, { since: number; count: number }>();

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async authenticate(token: string): Promise<AuthUser | null> {
    const hash = hashToken(token);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.expires > now) return hit.user;
    const rows: AuthUser[] = await this.db.query(
      `SELECT id, name, role, locale, warehouses, channel, supplier, courier
         FROM users WHERE token_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    const user = rows[0] ?? null;
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(hash, { user, expires: now + this.config.tokenCacheSeconds * 1000 });
    return user;
  }

  /** Seconds until the address may try again when it failed too often this minute; null when it may now. */
  refusedFor(address: string): number | null {
    const f = this.failures.get(address);
    if (!f) return null;
    const left = f.since + FAILURE_WINDOW_MS - Date.now();
    if (left <= 0) {
      this.failures.delete(address);
      return null;
    }
    return f.count >= AUTH_FAILURES_PER_MINUTE ? Math.ceil(left / 1000) : null;
  }

  noteFailure(address: string): void {
    const now = Date.now();
    const f = this.failures.get(address);
    if (f && f.since + FAILURE_WINDOW_MS > now) f.count++;
    else {
      if (this.failures.size >= MAX_CACHED) this.failures.delete(this.failures.keys().next().value as string);
      this.failures.set(address, { since: now, count: 1 });
    }
  }

  forgetUser(userId: string): void {
    for (const [hash, entry] of this.cache) if (entry.user?.id === userId) this.cache.delete(hash);
  }
}
