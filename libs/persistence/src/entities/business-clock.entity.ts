import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The deployment's single business clock row (id = 1), see API.md "Clock". */
@Entity({ name: 'business_clock' })
export class BusinessClockEntity {
  @PrimaryColumn('smallint') id!: number;
  @Column('float8') scale!: number;
  @Column('timestamptz', { name: 'real_epoch' }) realEpoch!: Date;
  @Column('timestamptz', { name: 'business_epoch' }) businessEpoch!: Date;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt!: Date;
}
