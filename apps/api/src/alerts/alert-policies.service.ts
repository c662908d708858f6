import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type AlertPolicy,
  type DynamicAlertPolicy,
  type DynamicPolicyOverride,
  type FieldError,
  policyFromInput,
  resolveDynamicPolicy,
  SKU_TIERS,
  type SkuTier,
  validateAlertPolicy,
  validationFailed,
} from '@peakstock/domain';
import { insertAudit } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import type { PutAlertPoliciesDto } from './alerts.dto';

type Doc = Record<string, unknown>;

/** The stored overrides, resolved into complete policies: tier defaults ← tier override ← SKU override. */
export class PolicyBook {
  constructor(
    readonly tierOverrides: ReadonlyMap<SkuTier, Doc>,
    readonly skuDocs: ReadonlyMap<string, Doc>,
  ) {}

  tier(tier: SkuTier): DynamicAlertPolicy {
    return resolveDynamicPolicy(tier, (this.tierOverrides.get(tier) ?? {}) as DynamicPolicyOverride);
  }

  forSku(sku: string, tier: SkuTier): AlertPolicy {
    const doc = this.skuDocs.get(sku);
    if (!doc) return this.tier(tier);
    if (doc.type === 'static') return policyFromInput(doc);
    const { type: _t, tier: _tier, ...own } = doc;
    const base = (this.tierOverrides.get(tier) ?? {}) as DynamicPolicyOverride;
    const mine = own as DynamicPolicyOverride;
    return resolveDynamicPolicy(tier, {
      ...base,
      ...mine,
      actions: { ...(base.actions ?? {}), ...(mine.actions ?? {}) },
    });
  }
}

@Injectable()
export class AlertPoliciesService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
  ) {}

  async book(db: { query(sql: string, p?: unknown[]): Promise<unknown> } = this.db): Promise<PolicyBook> {
    const rows = (await db.query('SELECT scope, key, policy FROM alert_policies')) as {
      scope: 'tier' | 'sku';
      key: string;
      policy: Doc;
    }[];
    return new PolicyBook(
      new Map(rows.filter((r) => r.scope === 'tier').map((r) => [r.key as SkuTier, r.policy])),
      new Map(rows.filter((r) => r.scope === 'sku').map((r) => [r.key, r.policy])),
    );
  }

  /** Every tier's policy and every SKU override, resolved, with what is stored. */
  async get() {
    const book = await this.book();
    const skus = (await this.db.query(
      `SELECT p.key AS sku, s.tier FROM alert_policies p JOIN skus s ON s.code = p.key
        WHERE p.scope = 'sku' ORDER BY p.key`,
    )) as { sku: string; tier: SkuTier }[];
    return {
      tiers: Object.fromEntries(
        SKU_TIERS.map((t) => [t, { policy: book.tier(t), override: book.tierOverrides.get(t) ?? null }]),
      ),
      skus: skus.map((s) => ({
        sku: s.sku,
        tier: s.tier,
        policy: book.forSku(s.sku, s.tier),
        override: book.skuDocs.get(s.sku) ?? null,
      })),
    };
  }

  /**
   * Replaces the named tier overrides and SKU policies (a SKU's `policy: null` removes its override), all or
   * nothing: every field error is reported with its path and nothing is written.
   */
  async put(dto: PutAlertPoliciesDto, user: AuthUser) {
    const { tierDocs, skuDocs } = await this.validated(dto);
    const at = new Date(await this.clock.nowMs()).toISOString();
    await this.db.transaction(async (tx) => {
      for (const [tier, doc] of tierDocs)
        await tx.query(
          `INSERT INTO alert_policies (scope, key, policy, updated_by) VALUES ('tier', $1, $2, $3)
           ON CONFLICT (scope, key) DO UPDATE SET policy = $2, updated_by = $3, updated_at = now()`,
          [tier, JSON.stringify(doc), user.id],
        );
      for (const [sku, doc] of skuDocs) {
        if (doc === null)
          await tx.query(`DELETE FROM alert_policies WHERE scope = 'sku' AND key = $1`, [sku]);
        else
          await tx.query(
            `INSERT INTO alert_policies (scope, key, policy, updated_by) VALUES ('sku', $1, $2, $3)
             ON CONFLICT (scope, key) DO UPDATE SET policy = $2, updated_by = $3, updated_at = now()`,
            [sku, JSON.stringify(doc), user.id],
          );
      }
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'alert_policies.put',
        target: { kind: 'alert_policies', id: 'all' },
        data: { tiers: Object.fromEntries(tierDocs), skus: Object.fromEntries(skuDocs) },
        idempotencyKey: `alert-policies:${randomUUID()}`,
      });
    });
    return this.get();
  }

  /** The stored book with a draft (a PUT body) laid over it, as the draft would leave it; 422 as PUT would. */
  async draftBook(dto: PutAlertPoliciesDto, prefix: string): Promise<PolicyBook> {
    const [book, { tierDocs, skuDocs }] = await Promise.all([this.book(), this.validated(dto, prefix)]);
    const tiers = new Map(book.tierOverrides);
    for (const [tier, doc] of tierDocs) tiers.set(tier, doc);
    const skus = new Map(book.skuDocs);
    for (const [sku, doc] of skuDocs) {
      if (doc === null) skus.delete(sku);
      else skus.set(sku, doc);
    }
    return new PolicyBook(tiers, skus);
  }

  /** Every field error of a PUT body, with its path (under `prefix`), or the documents it would store. */
  private async validated(
    dto: PutAlertPoliciesDto,
    prefix = '',
  ): Promise<{ tierDocs: [SkuTier, Doc][]; skuDocs: [string, Doc | null][] }> {
    const errors: FieldError[] = [];
    const tierDocs: [SkuTier, Doc][] = [];
    for (const [tier, value] of Object.entries(dto.tiers ?? {})) {
      const field = `${prefix}tiers.${tier}`;
      if (!(SKU_TIERS as readonly string[]).includes(tier)) {
        errors.push({ field, reason: `unknown tier (one of ${SKU_TIERS.join(', ')})` });
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        errors.push({ field, reason: 'must be an object of overrides of the tier defaults' });
        continue;
      }
      const doc = value as Doc;
      if ('type' in doc || 'tier' in doc) {
        errors.push({ field, reason: 'a tier override has no type or tier (it is the dynamic policy)' });
        continue;
      }
      const found = validateAlertPolicy({ type: 'dynamic', tier, ...doc }, field);
      errors.push(...found);
      if (!found.length) tierDocs.push([tier as SkuTier, doc]);
    }
    const skuRows = dto.skus ?? [];
    const known = skuRows.length
      ? ((await this.db.query('SELECT code, tier FROM skus WHERE code = ANY($1)', [
          skuRows.map((s) => s.sku),
        ])) as { code: string; tier: SkuTier }[])
      : [];
    const tierOf = new Map(known.map((k) => [k.code, k.tier]));
    const seen = new Set<string>();
    const skuDocs: [string, Doc | null][] = [];
    skuRows.forEach((row, i) => {
      const field = `${prefix}skus[${i}]`;
      const tier = tierOf.get(row.sku);
      if (!tier) return errors.push({ field: `${field}.sku`, reason: 'unknown SKU' });
      if (seen.has(row.sku)) return errors.push({ field: `${field}.sku`, reason: 'duplicate SKU' });
      seen.add(row.sku);
      if (row.policy === null) return skuDocs.push([row.sku, null]);
      const doc = row.policy;
      if (doc.type !== 'static' && doc.tier !== undefined && doc.tier !== tier)
        return errors.push({ field: `${field}.policy.tier`, reason: `the SKU's tier is ${tier}` });
      const checked = doc.type === 'static' ? doc : { ...doc, type: 'dynamic', tier };
      const found = validateAlertPolicy(checked, `${field}.policy`);
      errors.push(...found);
      if (!found.length) {
        const { tier: _tier, ...stored } = checked;
        skuDocs.push([row.sku, stored]);
      }
    });
    if (errors.length) throw validationFailed(errors);
    return { tierDocs, skuDocs };
  }
}
