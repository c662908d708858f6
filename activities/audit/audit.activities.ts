import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuditActivities, AuditEntry } from '@peakstock/contracts';
import { insertAudit } from '@peakstock/persistence';

@Injectable()
export class AuditActivitiesImpl implements AuditActivities {
  constructor(private readonly db: DataSource) {}

  recordAudit(entry: AuditEntry): Promise<void> {
    return insertAudit(this.db, entry);
  }
}
