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

/**
 * Token → user by SHA-256 through a unique index, with a short cache so the order path never waits on it. A
 * revocation here takes effect at once; on other replicas within TOKEN_CACHE_SECONDS.
 */
@Injectable()
export class TokenService {
  private readonly cache = new Map<string, CacheEntry>();

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

  forgetUser(userId: string): void {
    for (const [hash, entry] of this.cache) if (entry.user?.id === userId) this.cache.delete(hash);
  }
}
