/**
 * Pre-packed kit build (PRODUCT.md §3): how many kits to pack before a sale event, from the event's forecast
 * and the components in stock, and which component limits the build. Pure integer arithmetic: quantities are
 * floored to whole units and never negative; a missing stock figure counts as 0.
 */
import { validationFailed, type FieldError } from '../errors';

export interface BomLine {
  sku: string;
  /** Units of the component in one kit (a positive integer). */
  qty: number;
}

export interface KitDefinition {
  sku: string;
  bom: BomLine[];
}

export interface KitBuildInput {
  kit: KitDefinition;
  /** Kit units the sale event is forecast to sell. */
  forecastKitUnits: number;
  /** Pre-packed kits already in stock. */
  kitOnHand: number;
  /** Available units per component SKU (on hand − reserved − locked). */
  componentAvailable: Record<string, number>;
  /** Component units that must stay free for other demand (components sold on their own, other kits). */
  componentReservedForOtherDemand?: Record<string, number>;
}

export interface KitBottleneck {
  sku: string;
  /** Component units missing to build every kit still needed (0 when the build is only limited, not short). */
  short: number;
}

export interface KitBuildSuggestion {
  kitSku: string;
  /** Kits still needed: forecast − kits on hand, at least 0. */
  needed: number;
  /** Kits the usable components can make. */
  buildable: number;
  /** Kits to pre-pack now: min(needed, buildable). */
  suggestedQty: number;
  /** The component that stops the build from covering the need; null when the need is covered. */
  bottleneck: KitBottleneck | null;
  /** Human-readable explanation of the figures, in order. */
  reasons: string[];
}

export interface KitAvailability {
  kitOnHand: number;
  /** Kits the available components could still make. */
  buildable: number;
  /** kitOnHand + buildable. */
  total: number;
  /** The component that limits `buildable` (the scarcest per kit); null for an empty bill of materials. */
  bottleneck: string | null;
}

/** A quantity as a whole, non-negative number of units (NaN, negatives and missing values become 0). */
export function wholeUnits(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value) || value <= 0) return 0;
  return Math.floor(value);
}

/** Merges repeated components and checks quantities; throws VALIDATION_FAILED for a malformed bill. */
export function normaliseBom(bom: BomLine[], field = 'bom'): BomLine[] {
  const errors: FieldError[] = [];
  const merged = new Map<string, number>();
  bom.forEach((line, i) => {
    if (typeof line.sku !== 'string' || line.sku.length === 0)
      errors.push({ field: `${field}[${i}].sku`, reason: 'must be a non-empty SKU code' });
    else if (!Number.isInteger(line.qty) || line.qty <= 0)
      errors.push({ field: `${field}[${i}].qty`, reason: 'must be a positive integer' });
    else merged.set(line.sku, (merged.get(line.sku) ?? 0) + line.qty);
  });
  if (errors.length > 0) throw validationFailed(errors);
  return [...merged.entries()].map(([sku, qty]) => ({ sku, qty })).sort((a, b) => cmp(a.sku, b.sku));
}

interface ComponentLimit {
  sku: string;
  qty: number;
  usable: number;
  kits: number;
}

function componentLimits(bom: BomLine[], usableOf: (sku: string) => number): ComponentLimit[] {
  return bom.map(({ sku, qty }) => {
    const usable = usableOf(sku);
    return { sku, qty, usable, kits: Math.floor(usable / qty) };
  });
}

/** The scarcest component: fewest kits, then the largest shortfall for `needed` kits, then SKU order. */
function scarcest(limits: ComponentLimit[], needed: number): ComponentLimit | null {
  let best: ComponentLimit | null = null;
  for (const l of limits) {
    if (
      best === null ||
      l.kits < best.kits ||
      (l.kits === best.kits && shortFor(l, needed) > shortFor(best, needed))
    )
      best = l;
  }
  return best;
}

function shortFor(l: ComponentLimit, needed: number): number {
  return Math.max(0, needed * l.qty - l.usable);
}

export function kitAvailability(
  bom: BomLine[],
  componentAvailable: Record<string, number>,
  kitOnHand: number,
): KitAvailability {
  const lines = normaliseBom(bom);
  const onHand = wholeUnits(kitOnHand);
  const limits = componentLimits(lines, (sku) => wholeUnits(componentAvailable[sku]));
  const worst = scarcest(limits, 0);
  const buildable = worst ? worst.kits : 0;
  return { kitOnHand: onHand, buildable, total: onHand + buildable, bottleneck: worst ? worst.sku : null };
}

export function suggestKitBuild(input: KitBuildInput): KitBuildSuggestion {
  const lines = normaliseBom(input.kit.bom, 'kit.bom');
  const reserved = input.componentReservedForOtherDemand ?? {};
  const kitOnHand = wholeUnits(input.kitOnHand);
  const forecast = wholeUnits(
    Math.ceil(Number.isFinite(input.forecastKitUnits) ? input.forecastKitUnits : 0),
  );
  const needed = Math.max(0, forecast - kitOnHand);
  const reasons: string[] = [
    `forecast ${forecast} kit(s), ${kitOnHand} pre-packed on hand: ${needed} still needed`,
  ];
  if (lines.length === 0) {
    reasons.push(`kit ${input.kit.sku} has no bill of materials: nothing can be built`);
    return { kitSku: input.kit.sku, needed, buildable: 0, suggestedQty: 0, bottleneck: null, reasons };
  }
  const limits = componentLimits(lines, (sku) =>
    Math.max(0, wholeUnits(input.componentAvailable[sku]) - wholeUnits(reserved[sku])),
  );
  for (const l of limits) {
    const held = wholeUnits(reserved[l.sku]);
    reasons.push(
      `${l.sku}: ${l.usable} usable` +
        (held > 0 ? ` (${held} kept for other demand)` : '') +
        `, ${l.qty} per kit → ${l.kits} kit(s)`,
    );
  }
  const worst = scarcest(limits, needed)!;
  const buildable = worst.kits;
  const suggestedQty = Math.min(needed, buildable);
  let bottleneck: KitBottleneck | null = null;
  if (needed === 0) reasons.push('forecast already covered by kits on hand: build nothing');
  else if (buildable >= needed) reasons.push(`components cover the need: build ${suggestedQty}`);
  else {
    bottleneck = { sku: worst.sku, short: shortFor(worst, needed) };
    reasons.push(
      `${worst.sku} is the bottleneck: ${bottleneck.short} unit(s) short for ${needed} kit(s); build ${suggestedQty}`,
    );
  }
  return { kitSku: input.kit.sku, needed, buildable, suggestedQty, bottleneck, reasons };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
