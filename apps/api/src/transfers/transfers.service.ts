import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type DispatchResult,
  type TransferInput,
  transferDispatchUpdate,
  type TransferReceiptResult,
  transferReceiptUpdate,
  workflowIds,
  workflowTypes,
} from '@peakstock/contracts';
import { DomainError, ErrorCodes, notFound, validationFailed, type FieldError } from '@peakstock/domain';
import { findTransfer, queryRows, transferReceiptKey, type TransferRow } from '@peakstock/persistence';
import type { AuthUser } from '../auth/auth-user';
import { ClockService } from '../clock/clock.service';
import { MasterDataLookup } from '../master-data/master-data.lookup';
import { decisionNotAfter, TasksService } from '../tasks/tasks.service';
import type { DecisionDto } from '../tasks/decision.dto';
import { TemporalService } from '../temporal/temporal.service';
import type { CreateTransferDto, DispatchDto, TransferReceiptDto } from './transfers.dto';

@Injectable()
export class TransfersService {
  constructor(
    private readonly db: DataSource,
    private readonly clock: ClockService,
    private readonly lookup: MasterDataLookup,
    private readonly temporal: TemporalService,
    private readonly tasks: TasksService,
  ) {}

  /**
   * Starts (or joins) the transfer for this need: one per SKU and destination while it runs, like the ones
   * alerts start (API.md: ids keyed on the need).
   */
  async start(dto: CreateTransferDto, user: AuthUser): Promise<{ workflowId: string }> {
    const errors: FieldError[] = [];
    const warehouses = [dto.toWarehouse, ...(dto.fromWarehouse ? [dto.fromWarehouse] : [])];
    const [noSku, noWarehouses] = await Promise.all([
      this.lookup.missingSkus([dto.sku]),
      this.lookup.missingWarehouses(warehouses),
    ]);
    if (noSku.length) errors.push({ field: 'sku', reason: 'unknown SKU' });
    if (noWarehouses.includes(dto.toWarehouse))
      errors.push({ field: 'toWarehouse', reason: 'unknown warehouse' });
    if (dto.fromWarehouse && noWarehouses.includes(dto.fromWarehouse))
      errors.push({ field: 'fromWarehouse', reason: 'unknown warehouse' });
    else if (dto.fromWarehouse === dto.toWarehouse)
      errors.push({ field: 'fromWarehouse', reason: 'must differ from toWarehouse' });
    if (errors.length) throw validationFailed(errors);
    const input: TransferInput = {
      schemaVersion: 2,
      sku: dto.sku,
      toWarehouse: dto.toWarehouse,
      fromWarehouse: dto.fromWarehouse ?? null,
      qty: dto.qty,
      slaMinutes: dto.slaMinutes,
      reason: dto.reason ?? `requested by ${user.name}`,
      clock: await this.clock.current(),
      startedBy: { kind: 'user', id: user.id, name: user.name },
      numbers: {},
    };
    return this.temporal.start(
      'transfer',
      workflowTypes.transfer,
      workflowIds.transfer(dto.sku, dto.toWarehouse),
      [input],
    );
  }

  /**
   * The source's lead (or admin) approves, partly approves or rejects; more than requested is a 422 (the task's
   * `maxQty`, as for every decision).
   */
  async decide(id: string, dto: DecisionDto, user: AuthUser) {
    await this.row(id);
    return this.tasks.decide(id, user, dto, { adminMay: true });
  }

  /** The source's lead (or admin) hands the locked units to the carrier. */
  async dispatch(id: string, dto: DispatchDto, user: AuthUser): Promise<DispatchResult> {
    const row = await this.row(id);
    if (user.role !== 'admin' && !(row.from_warehouse && user.warehouses.includes(row.from_warehouse)))
      throw new DomainError(ErrorCodes.FORBIDDEN, `only the lead of the source warehouse may dispatch`);
    if (row.status !== 'locked' && row.status !== 'in_transit')
      throw new DomainError(
        ErrorCodes.INVALID_STATE,
        `the transfer is ${row.status}, not waiting for dispatch`,
      );
    return this.tasks.executeUpdate(id, transferDispatchUpdate, {
      idempotencyKey: dto.idempotencyKey,
      carrier: dto.carrier,
      trackingNo: dto.trackingNo,
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs: decisionNotAfter(),
    });
  }

  /** The destination's lead records units received; above what is still in transit is a 422. */
  async receive(id: string, dto: TransferReceiptDto, user: AuthUser): Promise<TransferReceiptResult> {
    const row = await this.row(id);
    if (!user.warehouses.includes(row.to_warehouse))
      throw new DomainError(ErrorCodes.FORBIDDEN, `only the lead of ${row.to_warehouse} may receive`);
    if (row.status !== 'in_transit')
      throw new DomainError(ErrorCodes.INVALID_STATE, `the transfer is ${row.status}, not in transit`);
    const outstanding = row.dispatched - row.received - row.lost;
    const repeat = await queryRows<{ n: number }>(
      this.db,
      'SELECT 1 AS n FROM stock_ledger WHERE idempotency_key = $1',
      [transferReceiptKey(id, row.run_id, dto.idempotencyKey)],
    );
    if (!repeat.length && dto.qty > outstanding)
      throw validationFailed([{ field: 'qty', reason: `exceeds the ${outstanding} units still in transit` }]);
    return this.tasks.executeUpdate(id, transferReceiptUpdate, {
      idempotencyKey: dto.idempotencyKey,
      qty: dto.qty,
      final: dto.final,
      actor: { id: user.id, name: user.name, role: user.role },
      notAfterMs: decisionNotAfter(),
    });
  }

  private async row(id: string): Promise<TransferRow> {
    const row = await findTransfer(this.db, id);
    if (!row) throw notFound(`transfer ${id}`);
    return row;
  }
}
