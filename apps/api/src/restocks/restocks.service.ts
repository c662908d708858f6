import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  restockCancelUpdate,
  restockReceiptUpdate,
  supplierConfirmationUpdate,
  workflowIds,
  workflowTypes,
  type RestockCancelResult,
  type RestockReceiptResult,
  type RestockStartInput,
  type SupplierConfirmationResult,
  type WorkflowProgress,
} from '@peakstock/contracts';
import {
  DomainError,
  ErrorCodes,
  invalidState,
  notFound,
  validationFailed,
  type FieldError,
} from '@peakstock/domain';
import { queryRows } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import type { DecisionDto } from '../tasks/decision.dto';
import { decisionNotAfter, TasksService } from '../tasks/tasks.service';
import { TemporalService } from '../temporal/temporal.service';
import type {
  CancelRestockDto,
  CreateRestockDto,
  RestockReceiptDto,
  SupplierConfirmationDto,
} from './restocks.dto';

/** After the scope checks: an answer to a finished restock is a 409. */
function ensureRunning(progress: WorkflowProgress): void {
  if (progress.status !== 'running') throw invalidState(`the restock has finished (${progress.stage})`);
}

interface PurchaseOrderRow {
  id: string;
  supplier: string;
  qty: number;
  status: string;
  confirmed_qty: number | null;
  received: number;
  short: number;
}

/**
 * Restocks behind the API: starts (or joins) the workflow for a need, and puts people's and partners' answers to
 * it as updates. Role and scope are checked here first (403), then what the database already knows (409, 422);
 * the workflow's validators decide the rest. A refusal writes nothing anywhere.
 */
@Injectable()
export class RestocksService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    private readonly temporal: TemporalService,
    private readonly tasks: TasksService,
  ) {}

  /** One restock per SKU × warehouse while it runs (like the ones alerts start): a second start joins it. */
  async start(dto: CreateRestockDto, user: AuthUser): Promise<{ workflowId: string }> {
    const errors: FieldError[] = [];
    const [noSku, noWarehouse] = await Promise.all([
      this.lookup.missingSkus([dto.sku]),
      this.lookup.missingWarehouses([dto.warehouse]),
    ]);
    if (noSku.length) errors.push({ field: 'sku', reason: 'unknown SKU' });
    if (noWarehouse.length) errors.push({ field: 'warehouse', reason: 'unknown warehouse' });
    if (dto.supplierCode) {
      const [supplier] = await queryRows<{ supplies: boolean }>(
        this.db,
        `SELECT EXISTS (SELECT 1 FROM supplier_skus WHERE supplier = s.code AND sku = $2) AS supplies
           FROM suppliers s WHERE s.code = $1`,
        [dto.supplierCode, dto.sku],
      );
      if (!supplier) errors.push({ field: 'supplierCode', reason: 'unknown supplier' });
      else if (!supplier.supplies && !noSku.length)
        errors.push({ field: 'supplierCode', reason: `does not supply ${dto.sku}` });
    }
    if (errors.length) throw validationFailed(errors);
    const input: RestockStartInput = {
      schemaVersion: 2,
      sku: dto.sku,
      warehouse: dto.warehouse,
      qty: dto.qty ?? null,
      urgency: dto.urgency,
      supplierCode: dto.supplierCode ?? null,
      reason: dto.reason,
      clock: await this.clock.current(),
      startedBy: { kind: 'user', id: user.id, name: user.name },
    };
    return this.temporal.start(
      'restock',
      workflowTypes.restock,
      workflowIds.restock(dto.sku, dto.warehouse),
      [input],
    );
  }

  /**
   * The supply manager's answer to an order above the budget (the budget task of the restock's latest run; its
   * `maxQty` makes more than requested a 422).
   */
  async decide(id: string, dto: DecisionDto, user: AuthUser) {
    await this.restock(id);
    const [task] = await queryRows<{ id: string }>(
      this.db,
      `SELECT id FROM tasks WHERE workflow_id = $1 AND kind = 'restock.budget'
        ORDER BY (status = 'open') DESC, created_at DESC LIMIT 1`,
      [id],
    );
    if (!task) throw invalidState('this restock is not waiting for a budget decision');
    return this.tasks.decide(id, user, { ...dto, taskKey: task.id.slice(id.length + 1) });
  }

  /** The supplier (its partner user, or its system with that user's token) or ops confirms quantity and ETA. */
  async confirm(
    id: string,
    dto: SupplierConfirmationDto,
    user: AuthUser,
  ): Promise<SupplierConfirmationResult> {
    const restock = await this.restock(id);
    const po = await this.currentOrder(id);
    if (user.role === 'partner' && (!po || po.supplier !== user.supplier))
      throw new DomainError(
        ErrorCodes.FORBIDDEN,
        po
          ? `this purchase order is with supplier ${po.supplier}`
          : 'no purchase order of yours is open here',
      );
    ensureRunning(restock);
    if (!po || (po.status !== 'placed' && po.status !== 'confirmed'))
      throw invalidState('this restock is not waiting for a supplier confirmation');
    const eta = Date.parse(dto.eta);
    if (!Number.isFinite(eta)) throw validationFailed([{ field: 'eta', reason: 'is not a valid instant' }]);
    const errors: FieldError[] = [];
    if (dto.qty > po.qty) errors.push({ field: 'qty', reason: `exceeds the ${po.qty} units ordered` });
    if (eta <= (await this.clock.nowMs()))
      errors.push({ field: 'eta', reason: 'must be in the future (business time)' });
    if (errors.length && po.status === 'placed') throw validationFailed(errors);
    // Confirmed already: the workflow answers a repeat of the same key, and refuses anything else.
    return this.tasks.executeUpdate(id, supplierConfirmationUpdate, {
      qty: dto.qty,
      eta: new Date(eta).toISOString(),
      idempotencyKey: dto.idempotencyKey,
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs: decisionNotAfter(),
    });
  }

  /** The restock warehouse's lead records a delivery; above what is still expected is a 422. */
  async receive(id: string, dto: RestockReceiptDto, user: AuthUser): Promise<RestockReceiptResult> {
    const restock = await this.restock(id);
    const warehouse = restock.subject.warehouses?.[0] ?? '';
    if (!user.warehouses.includes(warehouse))
      throw new DomainError(ErrorCodes.FORBIDDEN, `only a lead of ${warehouse} may receive this restock`);
    ensureRunning(restock);
    const po = await this.currentOrder(id);
    if (!po || (po.status !== 'confirmed' && po.status !== 'received' && po.status !== 'closed_short'))
      throw invalidState('this restock is not expecting a delivery');
    const [repeat] = await queryRows<{ qty: number; final: boolean }>(
      this.db,
      `SELECT d_on_hand AS qty, coalesce((cause->>'final')::boolean, false) AS final FROM stock_ledger
        WHERE idempotency_key = $1`,
      [`po:${po.id}:receipt:${dto.idempotencyKey}`],
    );
    if (repeat && (repeat.qty !== dto.qty || repeat.final !== (dto.final ?? false)))
      throw new DomainError(ErrorCodes.IDEMPOTENCY_CONFLICT, 'this idempotencyKey recorded another receipt');
    if (!repeat) {
      if (po.status !== 'confirmed')
        throw invalidState(`the purchase order is ${po.status.replace('_', ' ')}`);
      const outstanding = (po.confirmed_qty ?? 0) - po.received - po.short;
      if (dto.qty > outstanding)
        throw validationFailed([
          {
            field: 'qty',
            reason: `exceeds the ${outstanding} units still expected (more than ordered goes in as a stock adjustment)`,
          },
        ]);
    }
    return this.tasks.executeUpdate(id, restockReceiptUpdate, {
      qty: dto.qty,
      final: dto.final ?? false,
      idempotencyKey: dto.idempotencyKey,
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs: decisionNotAfter(),
    });
  }

  /** Ops cancel: the workflow withdraws the order and takes back on-order and inbound units, then finishes. */
  async cancel(id: string, dto: CancelRestockDto, user: AuthUser): Promise<RestockCancelResult> {
    ensureRunning(await this.restock(id));
    return this.tasks.executeUpdate(id, restockCancelUpdate, {
      reason: dto.reason ?? `cancelled by ${user.name}`,
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs: decisionNotAfter(),
    });
  }

  /** The restock's projection (404 when there is none). */
  private async restock(id: string): Promise<WorkflowProgress> {
    const [row] = await queryRows<{ progress: WorkflowProgress }>(
      this.db,
      `SELECT progress FROM workflow_projections WHERE workflow_id = $1 AND kind = 'restock'`,
      [id],
    );
    if (!row) throw notFound('restock');
    return row.progress;
  }

  /** The purchase order of the restock's current run that is still in play, newest first. */
  private async currentOrder(id: string): Promise<PurchaseOrderRow | null> {
    const [po] = await queryRows<PurchaseOrderRow>(
      this.db,
      `SELECT id, supplier, qty, status, confirmed_qty, received, short FROM purchase_orders
        WHERE workflow_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [id],
    );
    return po ?? null;
  }
}
