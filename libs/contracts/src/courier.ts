import { defineUpdate } from '@temporalio/workflow';
import type { BusinessClock } from '@peakstock/domain';
import type { ProgressActor } from './progress';

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

/** A courier-capacity booking for a warehouse and a window (POST /v1/courier-bookings). */
export interface CourierBookingInput {
  warehouse: string;
  /** Business window, epoch ms; days are the warehouse's local days it touches. */
  fromMs: number;
  toMs: number;
  /** Parcels forecast from this sale event's forecast; null: from the warehouse's open orders. */
  saleEvent: string | null;
  /** Utilisation of a courier's day at which overflow is booked with the next courier (default 0.85). */
  overflowAt?: number;
  clock: BusinessClock;
  startedBy: ProgressActor;
}

export type CourierBookingOutcome = 'completed' | 'nothing_to_book' | 'nothing_booked';

export interface CourierBookingResult {
  outcome: CourierBookingOutcome;
  booked: number;
  used: number;
  overflow: number;
  released: number;
}

/** A courier's terms for this booking: its quote where its adapter gives one, else its listed terms. */
export interface CourierQuote {
  code: string;
  regions: string[];
  parcelsPerDay: number;
  pricePerParcel: number;
  cutoff: string;
  adapter: CourierAdapterKind;
  source: 'listed' | 'quoted' | 'listed (quote failed)';
}

export interface ParcelForecast {
  demand: { day: string; region: string; parcels: number }[];
  /** How the figures were made, in order (shown in the progress). */
  reasons: string[];
  /** The warehouse's time zone: days and cut-offs are local to it. */
  timeZone: string;
}

export interface CourierConfirmationInput {
  courier: string;
  accept: boolean;
  idempotencyKey: string;
  actor: { id: string; name?: string; role: string };
  /** Real epoch ms after which the workflow refuses the update (the API answered 503 by then). */
  notAfterMs: number;
}

export interface CourierConfirmationResult {
  courier: string;
  status: 'confirmed' | 'declined';
}

export interface CourierHandoverInput {
  courier: string;
  waveId: string;
  parcels: number;
  idempotencyKey: string;
  actor: { id: string; name?: string; role: string };
  notAfterMs: number;
}

export interface CourierHandoverResult {
  courier: string;
  day: string;
  /** The courier's booked and used parcels that day, this hand-over included. */
  booked: number;
  used: number;
  /** True when this hand-over took the courier past the overflow threshold (the overflow follows). */
  overflowDue: boolean;
}

export const courierConfirmationUpdate = defineUpdate<CourierConfirmationResult, [CourierConfirmationInput]>(
  'courierConfirmation',
);
export const courierHandoverUpdate = defineUpdate<CourierHandoverResult, [CourierHandoverInput]>(
  'courierHandover',
);

export interface CourierBookingLine {
  courier: string;
  day: string;
  parcels: number;
  kind: 'primary' | 'overflow';
}

export interface CourierBookingActivities {
  openCourierBooking(input: {
    workflowId: string;
    warehouse: string;
    fromMs: number;
    toMs: number;
    saleEvent: string | null;
  }): Promise<void>;
  forecastParcels(input: {
    warehouse: string;
    fromMs: number;
    toMs: number;
    saleEvent: string | null;
  }): Promise<ParcelForecast>;
  /** Every courier serving one of the regions, with its terms for this booking (http couriers are asked). */
  quoteCouriers(input: {
    workflowId: string;
    warehouse: string;
    regions: string[];
    parcels: number;
  }): Promise<CourierQuote[]>;
  /** Adds booking lines (status requested), once per workflow run, courier, day and kind. */
  recordBookings(input: { workflowId: string; lines: CourierBookingLine[] }): Promise<void>;
  /** Asks an http courier to confirm its lines (signed POST); the answer comes on the confirmation route. */
  requestCourierConfirmation(input: {
    workflowId: string;
    courier: string;
    overflow: boolean;
  }): Promise<void>;
  /** Confirms or declines a courier's requested lines. */
  setCourierStatus(input: {
    workflowId: string;
    courier: string;
    status: 'confirmed' | 'declined';
    kind: 'primary' | 'overflow';
  }): Promise<void>;
  markBookingInUse(input: { workflowId: string; unallocated: unknown[] }): Promise<void>;
  /** Records a hand-over once per key; the courier's booked and used parcels that day. */
  recordHandover(input: {
    workflowId: string;
    warehouse: string;
    courier: string;
    waveId: string;
    parcels: number;
    key: string;
    at: string;
    day: string;
  }): Promise<{ booked: number; used: number }>;
  /** Booked and used parcels per courier for a day. */
  dayUsage(input: {
    workflowId: string;
    day: string;
  }): Promise<Record<string, { booked: number; used: number }>>;
  /** Gives back a courier's day capacity that the open orders will not need (tells an http courier). */
  releaseUnused(input: {
    workflowId: string;
    warehouse: string;
    courier: string;
    day: string;
  }): Promise<{ released: number }>;
  closeCourierBooking(input: { workflowId: string }): Promise<{
    booked: number;
    used: number;
    overflow: number;
    released: number;
  }>;
}

/** What a courier is asked to confirm (`courier.booking_requested`, `courier.overflow_requested`); JSON-plain. */
export interface CourierBookingRequestMessage {
  id: string;
  lines: { day: string; parcels: number; kind: string }[];
  /** Where the courier answers (POST, with its partner token). */
  confirmUrl: string;
}
