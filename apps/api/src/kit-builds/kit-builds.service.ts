import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type KitBatchResult,
  kitBatchUpdate,
  type KitBuildInput,
  workflowIds,
  workflowTypes,
} from '@peakstock/contracts';
import {
  DomainError,
  ErrorCodes,
  type FieldError,
  notFound,
  parseInstant,
  validationFailed,
} from '@peakstock/domain';
import {
  findKitBuild,
  insertAudit,
  kitBatchKey,
  kitBuildSuggestion,
  type KitBuildRow,
  queryRows,
  readBom,
  StockUnavailableError,
  unbuildKits,
} from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import { decisionNotAfter, TasksService } from '../tasks/tasks.service';
import { TemporalService } from '../temporal/temporal.service';
import type {
  CreateKitBuildDto,
  KitBatchDto,
  KitBuildSuggestionQuery,
  KitUnbuildDto,
} from './kit-builds.dto';

@Injectable()
export class KitBuildsService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    private readonly temporal: TemporalService,
    private readonly tasks: TasksService,
  ) {}

  /**
   * How many kits to pre-pack at a warehouse for a sale event: the event's forecast for the kit less the kits
   * available anywhere in the network (any of them can ship), built from this warehouse's components while
   * keeping this warehouse's share of the components' own forecast (sold alone in the same event) free.
   */
  async suggestion(q: KitBuildSuggestionQuery) {
    const [{ bom, errors }, events] = await Promise.all([
      this.kitAndWarehouse(q.kitSku, q.warehouse),
      queryRows<{ code: string }>(this.db, 'SELECT code FROM sale_events WHERE code = $1', [q.saleEvent]),
    ]);
    if (!events.length) errors.push({ field: 'saleEvent', reason: 'unknown sale event' });
    if (errors.length) throw validationFailed(errors);
    return kitBuildSuggestion(this.db, {
      saleEvent: q.saleEvent,
      kitSku: q.kitSku,
      warehouse: q.warehouse,
      bom,
    });
  }

  /** Starts (or joins) the build of this kit at this warehouse. */
  async start(dto: CreateKitBuildDto, user: AuthUser): Promise<{ workflowId: string }> {
    const { errors } = await this.kitAndWarehouse(dto.kitSku, dto.warehouse);
    if (errors.length) throw validationFailed(errors);
    const clock = await this.clock.current();
    if (parseInstant(dto.dueBy) <= (await this.clock.nowMs()))
      throw validationFailed([{ field: 'dueBy', reason: 'must be in the future (business time)' }]);
    const input: KitBuildInput = {
      kitSku: dto.kitSku,
      warehouse: dto.warehouse,
      qty: dto.qty,
      dueBy: new Date(parseInstant(dto.dueBy)).toISOString(),
      reason: dto.reason ?? `requested by ${user.name}`,
      clock,
      startedBy: { kind: 'user', id: user.id, name: user.name },
    };
    return this.temporal.start(
      'kit_build',
      workflowTypes.kitBuild,
      workflowIds.kitBuild(dto.kitSku, dto.warehouse),
      [input],
    );
  }

  async get(id: string) {
    const row = await this.row(id);
    return view(row);
  }

  /** The warehouse's lead reports kits packed; more than is left to pack is a 422. */
  async batch(id: string, dto: KitBatchDto, user: AuthUser): Promise<KitBatchResult> {
    const row = await this.row(id);
    if (!user.warehouses.includes(row.warehouse))
      throw new DomainError(ErrorCodes.FORBIDDEN, `only the lead of ${row.warehouse} may report batches`);
    if (row.status !== 'packing')
      throw new DomainError(ErrorCodes.INVALID_STATE, `the build is ${row.status}, not packing`);
    const left = row.locked_kits - row.packed;
    const repeat = await queryRows<{ n: number }>(
      this.db,
      'SELECT 1 AS n FROM stock_ledger WHERE idempotency_key = $1',
      [`${kitBatchKey(id, row.run_id, dto.idempotencyKey)}:${row.kit_sku}`],
    );
    if (!repeat.length && dto.packed > left)
      throw validationFailed([{ field: 'packed', reason: `exceeds the ${left} kits still to pack` }]);
    return this.tasks.executeUpdate(id, kitBatchUpdate, {
      idempotencyKey: dto.idempotencyKey,
      packed: dto.packed,
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs: decisionNotAfter(),
    });
  }

  /**
   * Turns leftover kits of a closed build back into components, in one ledger transaction: at most the kits
   * this build packed and not yet unbuilt, and at most the kits available (not sold, not locked) now.
   */
  async unbuild(id: string, dto: KitUnbuildDto, user: AuthUser, idempotencyKey?: string) {
    const at = new Date(await this.clock.nowMs()).toISOString();
    // Without an Idempotency-Key every call is its own unbuild; with one, the interceptor replays the answer and
    // the ledger keys stop a retry racing past it.
    const key = idempotencyKey ?? randomUUID();
    return this.db.transaction(async (tx) => {
      const row = await findKitBuild(tx, id, true);
      if (!row) throw notFound(`kit build ${id}`);
      if (row.status !== 'closed')
        throw new DomainError(
          ErrorCodes.INVALID_STATE,
          `the build is ${row.status}: unbuild after it closed`,
        );
      const leftover = row.packed - row.unbuilt;
      if (dto.qty > leftover)
        throw validationFailed([
          { field: 'qty', reason: `exceeds the ${leftover} kits this build packed and did not unbuild` },
        ]);
      const bom = await readBom(tx, row.kit_sku);
      try {
        await unbuildKits(tx, {
          warehouse: row.warehouse,
          kitSku: row.kit_sku,
          bom,
          kits: dto.qty,
          key: `kit-unbuild:${id}@${row.run_id}:${key}`,
          actor: { kind: 'user', id: user.id },
          cause: { workflowId: id, reason: dto.reason ?? 'leftover kits after the event' },
          at,
        });
      } catch (err) {
        if (err instanceof StockUnavailableError)
          throw validationFailed([
            { field: 'qty', reason: 'exceeds the kits available at the warehouse (sold or locked)' },
          ]);
        throw err;
      }
      const [updated] = await queryRows<KitBuildRow>(
        tx,
        `UPDATE kit_builds SET unbuilt = unbuilt + $2, updated_at = now() WHERE workflow_id = $1 RETURNING *`,
        [id, dto.qty],
      );
      await insertAudit(tx, {
        at,
        actor: { kind: 'user', id: user.id, name: user.name, role: user.role },
        action: 'kit_build.unbuilt',
        target: { kind: 'workflow', id },
        comment: dto.reason,
        data: { kitSku: row.kit_sku, warehouse: row.warehouse, qty: dto.qty },
        idempotencyKey: `kit-unbuild:${id}@${row.run_id}:${key}`,
      });
      return {
        ...view(updated!),
        components: bom.map((c) => ({ sku: c.sku, returned: c.qty * dto.qty })),
      };
    });
  }

  /** The kit's bill of materials, and what is wrong with the kit SKU or the warehouse (fields named). */
  private async kitAndWarehouse(kitSku: string, warehouse: string) {
    const errors: FieldError[] = [];
    const [noSku, noWarehouse, bom] = await Promise.all([
      this.lookup.missingSkus([kitSku]),
      this.lookup.missingWarehouses([warehouse]),
      readBom(this.db, kitSku),
    ]);
    if (noSku.length) errors.push({ field: 'kitSku', reason: 'unknown SKU' });
    else if (!bom.length) errors.push({ field: 'kitSku', reason: 'not a kit: it has no bill of materials' });
    if (noWarehouse.length) errors.push({ field: 'warehouse', reason: 'unknown warehouse' });
    return { bom, errors };
  }

  private async row(id: string): Promise<KitBuildRow> {
    const row = await findKitBuild(this.db, id);
    if (!row) throw notFound(`kit build ${id}`);
    return row;
  }
}

const view = (r: KitBuildRow) => ({
  workflowId: r.workflow_id,
  kitSku: r.kit_sku,
  warehouse: r.warehouse,
  qty: r.qty,
  lockedKits: r.locked_kits,
  packed: r.packed,
  unlockedUnits: r.unlocked_units,
  unbuilt: r.unbuilt,
  status: r.status,
  dueBy: r.due_by.toISOString(),
});
