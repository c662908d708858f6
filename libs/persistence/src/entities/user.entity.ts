import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ROLES = [
  'admin',
  'ops',
  'warehouse_lead',
  'supply_manager',
  'channel',
  'partner',
  'viewer',
] as const;
export type Role = (typeof ROLES)[number];

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text') role!: Role;
  @Column('text', { nullable: true }) email!: string | null;
  @Column('text', { default: 'zh-CN' }) locale!: 'zh-CN' | 'en';
  @Column('text', { array: true, default: () => "'{}'" }) warehouses!: string[];
  @Column('text', { nullable: true }) channel!: string | null;
  @Column('text', { nullable: true }) supplier!: string | null;
  @Column('text', { nullable: true }) courier!: string | null;
  /** SHA-256 of the bearer token, hex. The token itself is never stored. */
  @Column('text', { name: 'token_hash' }) tokenHash!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
}
