/**
 * `parseTrace`: the CSV trace of a scenario (`t,type,channel,order,sku,qty,region`, SCENARIOS.md) → events
 * grouped by kind, or the problems found, each naming the 1-based row (the header is row 1).
 *
 * Row rules:
 * - `t`: seconds after `startsAt`, a non-negative decimal; rows sorted by `t` (a row with a smaller `t` than the
 *   row before it is an error on that row);
 * - `order`: channel, order, sku, qty, region required; rows with the same order id form one order placed at the
 *   first row's `t`, and must share its channel and region; a SKU repeated within one order is an error, as is a
 *   line after the order's cancel;
 * - `cart_add`: channel, sku, qty required; order and region empty;
 * - `cancel`: order required and placed on an earlier row, cancelled once; sku, qty and region empty; the channel
 *   may be given (the example traces do) and must then be the order's;
 * - channels, SKUs and regions must exist in the scenario; `qty` is a positive integer.
 * The header must name the seven columns (any order; extra columns are ignored); blank lines are skipped; fields
 * may be double-quoted. At most MAX_TRACE_ERRORS problems are reported, then a note that checking stopped.
 *
 * The text is split by hand (indexOf on line and field separators): about 50,000 rows parse in tens of ms.
 */
import type {
  ParseTraceResult,
  Scenario,
  TraceCancel,
  TraceCartAdd,
  TraceEvent,
  TraceEvents,
  TraceIssue,
  TraceOrder,
  TraceStats,
} from './types';

export const TRACE_COLUMNS = ['t', 'type', 'channel', 'order', 'sku', 'qty', 'region'] as const;
export const MAX_TRACE_ERRORS = 100;

const T_PATTERN = /^\d+(?:\.\d+)?$/;
const QTY_PATTERN = /^[1-9]\d{0,9}$/;
const MAX_QTY = 1_000_000_000;

class TooManyErrors extends Error {}

interface OrderState {
  order: TraceOrder;
  cancelledAtRow?: number;
}

export function parseTrace(
  csvText: string,
  fileName: string,
  scenario: Pick<Scenario, 'channels' | 'skus' | 'regions'>,
): ParseTraceResult {
  const errors: TraceIssue[] = [];
  let row = 0;
  const fail = (reason: string): void => {
    errors.push({ file: fileName, row, reason });
    if (errors.length >= MAX_TRACE_ERRORS) throw new TooManyErrors();
  };

  const channels = new Set(scenario.channels.map((c) => c.code));
  const skus = new Set(scenario.skus.map((s) => s.code));
  const regions = new Set(scenario.regions.map((r) => r.code));

  const orders: TraceOrder[] = [];
  const cartAdds: TraceCartAdd[] = [];
  const cancels: TraceCancel[] = [];
  const byId = new Map<string, OrderState>();

  const text = csvText.charCodeAt(0) === 0xfeff ? csvText.slice(1) : csvText;
  const length = text.length;
  let pos = 0;
  /** Column index of each of TRACE_COLUMNS; fields per row as the header has them. */
  let columns: number[] | undefined;
  let width = 0;
  let fields: string[] = [];
  let lastT = 0;
  let lastTRow = 0;
  let dataRows = 0;

  try {
    while (pos < length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = length;
      const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      const line = text.slice(pos, lineEnd);
      pos = end + 1;
      row++;

      if (!columns) {
        const header = splitFields(line, []);
        const result = header && readHeader(header);
        if (typeof result === 'string' || !result) {
          fail(result || 'the header row has unbalanced quotes');
          return { ok: false, errors };
        }
        columns = result;
        width = header.length;
        continue;
      }
      if (isBlank(line)) continue;
      dataRows++;
      const split = splitFields(line, fields);
      if (!split) {
        fail('unbalanced quotes');
        continue;
      }
      fields = split;
      if (fields.length !== width) {
        fail(`has ${fields.length} fields, the header has ${width}`);
        continue;
      }
      const tText = fields[columns[0]];
      const type = fields[columns[1]];
      const channel = fields[columns[2]];
      const orderId = fields[columns[3]];
      const sku = fields[columns[4]];
      const qtyText = fields[columns[5]];
      const region = fields[columns[6]];

      const before = errors.length;
      let t = Number.NaN;
      if (!T_PATTERN.test(tText))
        fail(`t must be a non-negative number of seconds (got ${JSON.stringify(tText)})`);
      else {
        t = Number(tText);
        if (t < lastT)
          fail(`t ${tText} is earlier than t ${lastT} on row ${lastTRow}: the trace must be sorted by t`);
        // Compared with the previous row only: one misplaced row is one error, not one per row after it.
        lastT = t;
        lastTRow = row;
      }

      /** False when the channel is given but unknown, or missing while required. */
      const knownChannel = (required: boolean): boolean => {
        if (channel === '') {
          if (required) fail('channel is required');
          return !required;
        }
        if (channels.has(channel)) return true;
        fail(`unknown channel ${JSON.stringify(channel)}`);
        return false;
      };
      const knownSku = (): void => {
        if (sku === '') fail('sku is required');
        else if (!skus.has(sku)) fail(`unknown SKU ${JSON.stringify(sku)}`);
      };
      const readQty = (): number => {
        if (qtyText === '') {
          fail('qty is required');
          return 0;
        }
        const q = QTY_PATTERN.test(qtyText) ? Number(qtyText) : 0;
        if (q < 1 || q > MAX_QTY) fail(`qty must be a positive integer (got ${JSON.stringify(qtyText)})`);
        return q;
      };
      const mustBeEmpty = (names: string[], values: string[]): void => {
        const given = names.filter((_, i) => values[i] !== '');
        if (given.length > 0) fail(`${type} rows have no ${given.join(', ')}`);
      };

      if (type === 'order') {
        knownChannel(true);
        if (orderId === '') fail('order is required');
        knownSku();
        const qty = readQty();
        if (region === '') fail('region is required');
        else if (!regions.has(region)) fail(`unknown region ${JSON.stringify(region)}`);
        if (errors.length !== before || orderId === '') continue;
        const state = byId.get(orderId);
        if (!state) {
          const order: TraceOrder = { t, channel, orderId, region, lines: [{ sku, qty }], row };
          orders.push(order);
          byId.set(orderId, { order });
          continue;
        }
        const first = state.order;
        if (state.cancelledAtRow !== undefined)
          fail(`order ${orderId} has a line after its cancel on row ${state.cancelledAtRow}`);
        if (first.channel !== channel)
          fail(`order ${orderId} is on channel ${first.channel} (row ${first.row}), not ${channel}`);
        if (first.region !== region)
          fail(`order ${orderId} ships to region ${first.region} (row ${first.row}), not ${region}`);
        if (first.lines.some((l) => l.sku === sku))
          fail(`order ${orderId} already has a line for SKU ${sku}`);
        if (errors.length === before) first.lines.push({ sku, qty });
      } else if (type === 'cart_add') {
        knownChannel(true);
        knownSku();
        const qty = readQty();
        mustBeEmpty(['order', 'region'], [orderId, region]);
        if (errors.length === before) cartAdds.push({ t, channel, sku, qty, row });
      } else if (type === 'cancel') {
        const channelKnown = knownChannel(false);
        mustBeEmpty(['sku', 'qty', 'region'], [sku, qtyText, region]);
        if (orderId === '') {
          fail('order is required');
          continue;
        }
        const state = byId.get(orderId);
        if (!state) fail(`cancels order ${orderId}, which no earlier row places`);
        else if (state.cancelledAtRow !== undefined)
          fail(`order ${orderId} is already cancelled on row ${state.cancelledAtRow}`);
        else if (channelKnown && channel !== '' && channel !== state.order.channel)
          fail(
            `order ${orderId} is on channel ${state.order.channel} (row ${state.order.row}), not ${channel}`,
          );
        if (errors.length === before && state) {
          state.cancelledAtRow = row;
          cancels.push({ t, orderId, row });
        }
      } else {
        fail(`unknown type ${JSON.stringify(type)} (order, cart_add or cancel)`);
      }
    }
    if (!columns) {
      row = 1;
      fail(`the header row is missing (expected ${TRACE_COLUMNS.join(',')})`);
    }
  } catch (e) {
    if (!(e instanceof TooManyErrors)) throw e;
    errors.push({
      file: fileName,
      row,
      reason: `stopped after ${MAX_TRACE_ERRORS} errors; rows after ${row} were not checked`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };

  const events: TraceEvents = { orders, cartAdds, cancels };
  return { ok: true, events, stats: traceStats(events, dataRows, lastT) };
}

/** All events in time order (the file's row order; an order comes at its first row, complete). */
export function* traceTimeline(events: TraceEvents): Generator<TraceEvent> {
  const { orders, cartAdds, cancels } = events;
  let o = 0;
  let a = 0;
  let c = 0;
  while (o < orders.length || a < cartAdds.length || c < cancels.length) {
    const ro = o < orders.length ? orders[o].row : Infinity;
    const ra = a < cartAdds.length ? cartAdds[a].row : Infinity;
    const rc = c < cancels.length ? cancels[c].row : Infinity;
    if (ro < ra && ro < rc) {
      const order = orders[o++];
      yield { kind: 'order', t: order.t, row: order.row, order };
    } else if (ra < rc) {
      const cartAdd = cartAdds[a++];
      yield { kind: 'cart_add', t: cartAdd.t, row: cartAdd.row, cartAdd };
    } else {
      const cancel = cancels[c++];
      yield { kind: 'cancel', t: cancel.t, row: cancel.row, cancel };
    }
  }
}

function traceStats(events: TraceEvents, rows: number, lastT: number): TraceStats {
  let orderLines = 0;
  let orderUnits = 0;
  const ordersByChannel: Record<string, number> = {};
  for (const order of events.orders) {
    orderLines += order.lines.length;
    for (const line of order.lines) orderUnits += line.qty;
    ordersByChannel[order.channel] = (ordersByChannel[order.channel] ?? 0) + 1;
  }
  let cartAddUnits = 0;
  for (const add of events.cartAdds) cartAddUnits += add.qty;
  return {
    rows,
    orders: events.orders.length,
    orderLines,
    orderUnits,
    cartAdds: events.cartAdds.length,
    cartAddUnits,
    cancels: events.cancels.length,
    lastT,
    ordersByChannel,
  };
}

/** Column indexes of TRACE_COLUMNS in the header, or the reason the header is not usable. */
function readHeader(names: string[]): number[] | string {
  const trimmed = names.map((n) => n.trim());
  const missing = TRACE_COLUMNS.filter((c) => !trimmed.includes(c));
  if (missing.length > 0)
    return `the header row must name the columns ${TRACE_COLUMNS.join(',')} (missing: ${missing.join(', ')})`;
  const repeated = TRACE_COLUMNS.filter((c) => trimmed.indexOf(c) !== trimmed.lastIndexOf(c));
  if (repeated.length > 0) return `the header row names ${repeated.join(', ')} more than once`;
  return TRACE_COLUMNS.map((c) => trimmed.indexOf(c));
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const ch = line.charCodeAt(i);
    if (ch !== 32 && ch !== 9) return false;
  }
  return true;
}

/** Fields of one line into `out` (reused); undefined when quotes are unbalanced. */
function splitFields(line: string, out: string[]): string[] | undefined {
  out.length = 0;
  if (line.indexOf('"') >= 0) return splitQuoted(line, out);
  let start = 0;
  for (;;) {
    const comma = line.indexOf(',', start);
    if (comma < 0) {
      out.push(line.slice(start));
      return out;
    }
    out.push(line.slice(start, comma));
    start = comma + 1;
  }
}

/** RFC 4180 fields within one line: `"a,b"`, `"say ""hi"""`. */
function splitQuoted(line: string, out: string[]): string[] | undefined {
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return undefined;
        value += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(value);
      if (i === line.length) return out;
      if (line.charCodeAt(i) !== 44) return undefined;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const field = line.slice(i, comma < 0 ? line.length : comma);
      if (field.indexOf('"') >= 0) return undefined;
      out.push(field);
      if (comma < 0) return out;
      i = comma + 1;
    }
  }
}
