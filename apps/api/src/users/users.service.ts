import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@peakstock/config';
import { notFound, validationFailed, type FieldError } from '@peakstock/domain';
import { decodeCursor, pageOf, type Page } from '../common/cursor';
import { insertAudit, queryRows } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { hashToken, newToken, TokenService } from '../auth/token.service';
import { ClockService } from '../clock/clock.service';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import type { CreateUserDto, UserView } from './users.dto';

/** The bootstrap admin has a fixed id so that BOOTSTRAP_ADMIN_TOKEN refreshes the same user at every start. */
export const BOOTSTRAP_ADMIN_ID = '00000000-0000-4000-8000-000000000001';

interface UserRow {
  id: string;
  name: string;
  role: UserView['role'];
  email: string | null;
  locale: UserView['locale'];
  warehouses: string[];
  channel: string | null;
  supplier: string | null;
  courier: string | null;
  created_at: Date;
  /** created_at as PostgreSQL prints it (microseconds kept), for exact keyset cursors. */
  created_key: string;
  revoked_at: Date | null;
}

const toView = (r: UserRow): UserView => ({
  id: r.id,
  name: r.name,
  role: r.role,
  email: r.email,
  locale: r.locale,
  warehouses: r.warehouses,
  channel: r.channel,
  supplier: r.supplier,
  courier: r.courier,
  createdAt: r.created_at.toISOString(),
  revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
});

/** Scope fields belong to one role each; a scope on another role is a mistake worth naming. */
export function checkScopes(dto: CreateUserDto): FieldError[] {
  const errors: FieldError[] = [];
  if (dto.role === 'warehouse_lead' && !dto.warehouses?.length) {
    errors.push({ field: 'warehouses', reason: 'a warehouse_lead needs at least one warehouse' });
  }
  if (dto.role !== 'warehouse_lead' && dto.warehouses?.length) {
    errors.push({ field: 'warehouses', reason: 'only a warehouse_lead has warehouses' });
  }
  if (dto.role === 'channel' && !dto.channel)
    errors.push({ field: 'channel', reason: 'a channel user needs its channel' });
  if (dto.role !== 'channel' && dto.channel)
    errors.push({ field: 'channel', reason: 'only a channel user has a channel' });
  if (dto.role === 'partner' && Boolean(dto.supplier) === Boolean(dto.courier)) {
    errors.push({
      field: dto.supplier ? 'courier' : 'supplier',
      reason: 'a partner is either a supplier or a courier',
    });
  }
  if (dto.role !== 'partner') {
    if (dto.supplier) errors.push({ field: 'supplier', reason: 'only a partner has a supplier' });
    if (dto.courier) errors.push({ field: 'courier', reason: 'only a partner has a courier' });
  }
  return errors;
}

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly log = new Logger('Users');

  constructor(
    private readonly db: DataSource,
    private readonly tokens: TokenService,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const token = this.config.bootstrapAdminToken;
    if (!token) return;
    await this.db.query(
      `INSERT INTO users (id, name, role, locale, token_hash) VALUES ($1, 'admin', 'admin', 'en', $2)
       ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash, revoked_at = NULL, role = 'admin'`,
      [BOOTSTRAP_ADMIN_ID, hashToken(token)],
    );
    this.tokens.forgetUser(BOOTSTRAP_ADMIN_ID);
    this.log.log('bootstrap admin ready (BOOTSTRAP_ADMIN_TOKEN)');
  }

  async create(dto: CreateUserDto, by: AuthUser): Promise<{ id: string; token: string; user: UserView }> {
    const errors = checkScopes(dto);
    const [noWarehouses, noChannel, noSupplier, noCourier] = await Promise.all([
      this.lookup.missingWarehouses(dto.warehouses ?? []),
      this.lookup.missingChannels(dto.channel ? [dto.channel] : []),
      dto.supplier
        ? queryRows(this.db, 'SELECT 1 FROM suppliers WHERE code = $1', [dto.supplier]).then((r) => !r.length)
        : false,
      dto.courier
        ? queryRows(this.db, 'SELECT 1 FROM couriers WHERE code = $1', [dto.courier]).then((r) => !r.length)
        : false,
    ]);
    if (noSupplier) errors.push({ field: 'supplier', reason: 'unknown supplier' });
    if (noCourier) errors.push({ field: 'courier', reason: 'unknown courier' });
    (dto.warehouses ?? []).forEach((w, i) => {
      if (noWarehouses.includes(w)) errors.push({ field: `warehouses[${i}]`, reason: 'unknown warehouse' });
    });
    if (noChannel.length) errors.push({ field: 'channel', reason: 'unknown channel' });
    if (errors.length) throw validationFailed(errors);
    const token = newToken();
    const at = new Date(await this.clock.nowMs()).toISOString();
    return this.db.transaction(async (tx) => {
      const rows: UserRow[] = await tx.query(
        `INSERT INTO users (name, role, email, locale, warehouses, channel, supplier, courier, token_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
        [
          dto.name,
          dto.role,
          dto.email ?? null,
          dto.locale ?? 'zh-CN',
          dto.warehouses ?? [],
          dto.channel ?? null,
          dto.supplier ?? null,
          dto.courier ?? null,
          hashToken(token),
        ],
      );
      const user = toView(rows[0]!);
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: by.id, name: by.name, role: by.role },
        action: 'user.created',
        target: { kind: 'user', id: user.id },
        data: {
          role: user.role,
          warehouses: user.warehouses,
          channel: user.channel,
          supplier: user.supplier,
          courier: user.courier,
        },
        idempotencyKey: `user.created:${user.id}`,
      });
      return { id: user.id, token, user };
    });
  }

  async list(limit: number, cursor?: string): Promise<Page<UserView>> {
    const after = decodeCursor(cursor, 2) as [string, string] | null;
    const rows: UserRow[] = await this.db.query(
      `SELECT *, created_at::text AS created_key FROM users
        WHERE $1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid)
        ORDER BY created_at, id LIMIT $3`,
      [after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    const page = pageOf(rows, limit, (r) => [r.created_key, r.id]);
    return { items: page.items.map(toView), nextCursor: page.nextCursor };
  }

  async revoke(id: string, by: AuthUser): Promise<UserView> {
    const at = new Date(await this.clock.nowMs()).toISOString();
    const row = await this.db.transaction(async (tx) => {
      const rows = await queryRows<UserRow>(
        tx,
        `UPDATE users SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *`,
        [id],
      );
      const updated = rows[0];
      if (!updated) throw notFound('user');
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: by.id, name: by.name, role: by.role },
        action: 'user.revoked',
        target: { kind: 'user', id },
        idempotencyKey: `user.revoked:${id}`,
      });
      return updated;
    });
    this.tokens.forgetUser(id);
    return toView(row);
  }
}
