/**
 * Which supplier a restock asks first, and what the order costs. Pure; money in integer fen (API.md).
 *
 * A supplier's lead time covers a day of its production; a larger order lands later by the extra days it takes
 * to make (`unitsPerDay`). Suppliers are tried soonest landing first, then cheapest; one the requester named
 * goes first. A timed-out supplier's order moves to the next in this order.
 */
import { nonNegative } from '../forecast/num';

export interface SupplierOption {
  code: string;
  name: string;
  leadTimeHours: number;
  unitsPerDay: number;
  /** Money per unit (the supplier's price for the SKU, else the SKU's cost). */
  unitCost: number;
}

export interface RankedSupplier extends SupplierOption {
  /** Hours until an order of the requested quantity lands. */
  landingHours: number;
  costFen: number;
}

const toFen = (money: number): number => Math.round(nonNegative(money) * 100);

/** Hours until `qty` units from this supplier land: its lead time, plus the extra production days. */
export function landingHours(s: Pick<SupplierOption, 'leadTimeHours' | 'unitsPerDay'>, qty: number): number {
  const perDay = Math.max(1, nonNegative(s.unitsPerDay));
  const extraDays = Math.max(0, nonNegative(qty) - perDay) / perDay;
  return nonNegative(s.leadTimeHours) + Math.ceil(extraDays * 24);
}

export function rankSuppliers(
  suppliers: readonly SupplierOption[],
  qty: number,
  preferred: string | null = null,
): RankedSupplier[] {
  return suppliers
    .map((s) => ({ ...s, landingHours: landingHours(s, qty), costFen: toFen(s.unitCost) * Math.max(0, qty) }))
    .sort(
      (a, b) =>
        Number(b.code === preferred) - Number(a.code === preferred) ||
        a.landingHours - b.landingHours ||
        a.costFen - b.costFen ||
        (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
    );
}

/** Whether an order of this cost needs the supply manager: above the per-order budget (none set: never). */
export function overRestockBudget(costFen: number, perOrderFen: number | null): boolean {
  return perOrderFen !== null && costFen > perOrderFen;
}
