/**
 * The admin REST API, called with the console session (cookie) and, on every change, the anti-forgery
 * token. Errors come back as problem+json and are thrown as ApiError with their per-field reasons.
 */
export interface FieldProblem {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
    readonly correlationId?: string,
  ) {
    super(detail || title);
  }
}

let csrfToken = '';
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

let onUnauthorized: () => void = () => {};
export function whenSignedOut(handler: () => void): void {
  onUnauthorized = handler;
}

export async function api<T = any>(method: string, path: string, body?: unknown, opts: { contentType?: string; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store', redirect: 'error' });
  } catch {
    throw new ApiError(0, 'Network error', 'The service could not be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let data: any = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    const p = data && typeof data === 'object' ? data : {};
    const detail = typeof p.detail === 'string' ? p.detail : typeof p.error_description === 'string' ? p.error_description : `The service answered HTTP ${res.status}.`;
    throw new ApiError(res.status, typeof p.title === 'string' ? p.title : `HTTP ${res.status}`, detail, Array.isArray(p.errors) ? p.errors : [], p.correlationId);
  }
  return data as T;
}

export const enc = encodeURIComponent;
