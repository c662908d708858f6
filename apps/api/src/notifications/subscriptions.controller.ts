import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  IsUrl,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { DataSource } from 'typeorm';
import { validationFailed, type FieldError } from '@peakstock/domain';
import { IM_PLATFORMS, isNotificationKind, NOTIFICATION_KINDS, type ImPlatform } from '@peakstock/notify';
import { insertAudit } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { Allow, CurrentUser } from '../auth/decorators';
import { ClockService } from '../clock/clock.service';

const TIERS = ['A', 'B', 'C'] as const;

export class WebhookDto {
  @ApiProperty({ enum: IM_PLATFORMS }) @IsIn(IM_PLATFORMS) platform!: ImPlatform;
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  @MaxLength(2000)
  url!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) secret?: string;
}

export class SubscriptionDto {
  @ApiPropertyOptional({ description: 'a user id (their email and locale are used)' })
  @IsOptional()
  @IsUUID()
  user?: string;
  @ApiPropertyOptional({ type: WebhookDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => WebhookDto)
  webhook?: WebhookDto;
  @ApiPropertyOptional({ enum: ['zh-CN', 'en'] }) @IsOptional() @IsIn(['zh-CN', 'en']) locale?:
    'zh-CN' | 'en';
  @ApiProperty({ enum: NOTIFICATION_KINDS, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsString({ each: true })
  kinds!: string[];
  @ApiPropertyOptional({ type: [String], description: 'only these warehouses (empty: all)' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { each: true })
  warehouses?: string[];
  @ApiPropertyOptional({ enum: TIERS, isArray: true, description: 'only SKUs of these tiers (empty: all)' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsString({ each: true })
  tiers?: string[];
}

export class PutSubscriptionsDto {
  @ApiProperty({ type: [SubscriptionDto] })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => SubscriptionDto)
  subscriptions!: SubscriptionDto[];
}

interface Row {
  id: string;
  user_id: string | null;
  webhook_platform: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  locale: string;
  kinds: string[];
  warehouses: string[];
  tiers: string[];
}

/** Which users or webhooks get which kinds of notification, for which warehouses and tiers. */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('v1/notification-subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
  ) {}

  @Get()
  @Allow('admin', 'ops')
  async list() {
    const rows: Row[] = await this.db.query(
      'SELECT * FROM notification_subscriptions ORDER BY created_at, id',
    );
    return { items: rows.map(view) };
  }

  @Put()
  @Allow('admin', 'ops')
  @ApiOperation({ summary: 'Replace every subscription (validated as a whole; nothing is written on a 422)' })
  async replace(@Body() body: PutSubscriptionsDto, @CurrentUser() user: AuthUser) {
    await this.validateReferences(body.subscriptions);
    const at = new Date(await this.clock.nowMs()).toISOString();
    const rows = await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM notification_subscriptions');
      for (const s of body.subscriptions) {
        await tx.query(
          `INSERT INTO notification_subscriptions (user_id, webhook_platform, webhook_url, webhook_secret, locale, kinds, warehouses, tiers)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            s.user ?? null,
            s.webhook?.platform ?? null,
            s.webhook?.url ?? null,
            s.webhook?.secret ?? null,
            s.locale ?? 'zh-CN',
            s.kinds,
            s.warehouses ?? [],
            s.tiers ?? [],
          ],
        );
      }
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'notification-subscriptions.replaced',
        target: { kind: 'settings', id: 'notification-subscriptions' },
        data: { count: body.subscriptions.length },
        idempotencyKey: `notification-subscriptions:${at}:${user.id}`,
      });
      return (await tx.query('SELECT * FROM notification_subscriptions ORDER BY created_at, id')) as Row[];
    });
    return { items: rows.map(view) };
  }

  private async validateReferences(subs: SubscriptionDto[]): Promise<void> {
    const errors: FieldError[] = [];
    const users = new Set(subs.map((s) => s.user).filter((u): u is string => !!u));
    const warehouses = new Set(subs.flatMap((s) => s.warehouses ?? []));
    const knownUsers = new Set(
      (
        (await this.db.query('SELECT id FROM users WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL', [
          [...users],
        ])) as { id: string }[]
      ).map((r) => r.id),
    );
    const knownWarehouses = new Set(
      (
        (await this.db.query('SELECT code FROM warehouses WHERE code = ANY($1::text[])', [
          [...warehouses],
        ])) as { code: string }[]
      ).map((r) => r.code),
    );
    subs.forEach((s, i) => {
      const at = `subscriptions[${i}]`;
      if (Boolean(s.user) === Boolean(s.webhook))
        errors.push({ field: `${at}.user`, reason: 'give exactly one of user and webhook' });
      if (s.user && !knownUsers.has(s.user))
        errors.push({ field: `${at}.user`, reason: 'unknown or revoked user' });
      s.kinds.forEach((k, j) => {
        if (!isNotificationKind(k))
          errors.push({
            field: `${at}.kinds[${j}]`,
            reason: `unknown kind; one of ${NOTIFICATION_KINDS.join(', ')}`,
          });
      });
      (s.warehouses ?? []).forEach((w, j) => {
        if (!knownWarehouses.has(w))
          errors.push({ field: `${at}.warehouses[${j}]`, reason: 'unknown warehouse' });
      });
      (s.tiers ?? []).forEach((t, j) => {
        if (!(TIERS as readonly string[]).includes(t))
          errors.push({ field: `${at}.tiers[${j}]`, reason: 'unknown tier; one of A, B, C' });
      });
    });
    if (errors.length) throw validationFailed(errors);
  }
}

/** Secrets never leave the server; the URL is shown up to its path (robot keys often sit in the query). */
function view(r: Row) {
  return {
    id: r.id,
    user: r.user_id,
    webhook: r.webhook_url
      ? {
          platform: r.webhook_platform,
          url: r.webhook_url.split('?')[0],
          hasSecret: Boolean(r.webhook_secret),
        }
      : null,
    locale: r.locale,
    kinds: r.kinds,
    warehouses: r.warehouses,
    tiers: r.tiers,
  };
}
