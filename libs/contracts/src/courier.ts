/**
 * Couriers and their capacity bookings (PRODUCT.md §3). JSON-plain; times are business time, cut-offs local
 * "HH:MM" in the handing-over warehouse's time zone.
 */

/**
 * How the system talks to a courier: `manual` opens a task for the courier's partner user, who answers through
 * the API; `http` POSTs the request, signed, to the courier's URL, and the answer comes on the same API route;
 * `simulated` answers by itself (demos and tests only: refused in production).
 */
export const COURIER_ADAPTERS = ['manual', 'http', 'simulated'] as const;
export type CourierAdapterKind = (typeof COURIER_ADAPTERS)[number];

export interface CourierRecord {
  code: string;
  name: string;
  /** Region codes served; "*" = all. */
  regions: string[];
  parcelsPerDay: number;
  pricePerParcel: number;
  cutoff: string;
  adapter: CourierAdapterKind;
}
