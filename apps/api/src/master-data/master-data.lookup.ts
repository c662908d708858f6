import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Tier } from './master-data.dto';

type Db = { query(sql: string, params?: unknown[]): Promise<unknown> };

/**
 * Reference checks for other modules (user scopes, notification subscriptions, orders): which of these codes do
 * not exist. Pass a transaction's manager as `db` to check inside it.
 */
@Injectable()
export class MasterDataLookup {
  constructor(private readonly db: DataSource) {}

  /** The codes (deduplicated, in the order given) with no warehouse. */
  missingWarehouses(codes: readonly string[], db: Db = this.db): Promise<string[]> {
    return missing(db, 'warehouses', codes);
  }

  missingChannels(codes: readonly string[], db: Db = this.db): Promise<string[]> {
    return missing(db, 'channels', codes);
  }

  missingSkus(codes: readonly string[], db: Db = this.db): Promise<string[]> {
    return missing(db, 'skus', codes);
  }

  missingRegions(codes: readonly string[], db: Db = this.db): Promise<string[]> {
    return missing(db, 'regions', codes);
  }

  /** The tier of each known SKU (unknown codes are absent from the map). */
  async skuTiers(codes: readonly string[], db: Db = this.db): Promise<Map<string, Tier>> {
    if (!codes.length) return new Map();
    const rows = (await db.query(`SELECT code, tier FROM skus WHERE code = ANY($1::text[])`, [
      [...new Set(codes)],
    ])) as { code: string; tier: Tier }[];
    return new Map(rows.map((r) => [r.code, r.tier]));
  }
}

/** Table names are fixed strings of this file, never input. */
export async function missing(
  db: Db,
  table: 'regions' | 'warehouses' | 'channels' | 'skus',
  codes: readonly string[],
): Promise<string[]> {
  const unique = [...new Set(codes)];
  if (!unique.length) return [];
  const rows = (await db.query(`SELECT code FROM ${table} WHERE code = ANY($1::text[])`, [unique])) as {
    code: string;
  }[];
  const found = new Set(rows.map((r) => r.code));
  return unique.filter((c) => !found.has(c));
}
