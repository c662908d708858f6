/** The console's only way to the system: the public API with the signed-in user's token. */

export interface Me {
  id: string;
  name: string;
  role: 'admin' | 'ops' | 'warehouse_lead' | 'supply_manager' | 'channel' | 'partner' | 'viewer';
  locale: 'zh-CN' | 'en';
  warehouses: string[];
}

export interface FieldError {
  field: string;
  reason: string;
}

/** An API refusal: its code, message and the fields it names (API.md error body). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'peakstock.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  token = session.token(),
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Every POST carries a fresh Idempotency-Key: a double click or a retry is answered, never repeated.
  if (method === 'POST') headers['idempotency-key'] = crypto.randomUUID();
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok)
    throw new ApiError(
      res.status,
      String(json.code ?? res.status),
      String(json.message ?? res.statusText),
      (json.errors as FieldError[] | undefined) ?? [],
    );
  return json as T;
}

/** A server-sent event stream authenticated by a single-use ticket (never the token in a URL). */
export async function openStream(
  path: string,
  onEvent: (event: string, data: unknown) => void,
): Promise<() => void> {
  const { ticket } = await api<{ ticket: string }>('POST', '/v1/sse-tickets');
  const sep = path.includes('?') ? '&' : '?';
  const source = new EventSource(`${path}${sep}ticket=${encodeURIComponent(ticket)}`);
  for (const name of ['kpis', 'progress', 'end'])
    source.addEventListener(name, (e) => onEvent(name, JSON.parse((e as MessageEvent<string>).data)));
  return () => source.close();
}
