import type { Role } from '@peakstock/contracts';

/** The signed-in caller, attached to the request by the auth guard. */
export interface AuthUser {
  id: string;
  name: string;
  role: Role;
  locale: 'zh-CN' | 'en';
  warehouses: string[];
  channel: string | null;
  supplier: string | null;
  courier: string | null;
}

export const INTERNAL_ROLES: Role[] = ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer'];
