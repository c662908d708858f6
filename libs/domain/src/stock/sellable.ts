/**
 * What a channel may sell of a SKU (PRODUCT.md "sellable quantity"): the pool's available units (already net
 * of every lock, so other channels' ring-fences are excluded) less the safety buffer, times the channel's
 * share, within its min and max; plus what its own live session still holds for it.
 */
export interface PublishRules {
  /** Share of the pool published to this channel, in (0, 1]. */
  share: number;
  /** Units kept back from every channel as safety stock. */
  buffer: number;
  min: number;
  max: number;
  /** Only these warehouses' stock counts (default: all). */
  warehouses?: string[];
}

export const DEFAULT_PUBLISH: PublishRules = { share: 1, buffer: 0, min: 0, max: Number.MAX_SAFE_INTEGER };

export function sellableQuantity(input: {
  poolAvailable: number;
  ownLockRemaining: number;
  rules?: PublishRules | null;
}): number {
  const rules = input.rules ?? DEFAULT_PUBLISH;
  const pool = Math.max(0, Math.floor(input.poolAvailable));
  const published = Math.floor(Math.max(0, pool - rules.buffer) * Math.min(1, Math.max(0, rules.share)));
  // min never publishes units the pool does not have: it is a floor on what the share gives, not a promise.
  const clamped = Math.min(pool, Math.max(Math.min(rules.min, pool), Math.min(published, rules.max)));
  return clamped + Math.max(0, Math.floor(input.ownLockRemaining));
}
