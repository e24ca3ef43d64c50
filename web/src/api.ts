// Every call to /console/api goes through here: JSON in and out, the
// session's CSRF token on every change (the server refuses changes without
// it), and a 401 sends the viewer to the login page.
import { navigate } from 'wouter-preact/use-browser-location';

export const API_BASE = '/console/api';
export const LOGIN_PATH = '/console/login';
const CSRF_HEADER = 'x-csrf-token';

let csrfToken = '';

/** Set after login and by loadSession(). */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** The login page, told to come back to the page shown now (its path and query) afterwards. */
export function loginPathReturningHere(): string {
  const here = window.location.pathname + window.location.search;
  return here.startsWith('/console/') && !here.startsWith(LOGIN_PATH) && here !== '/console/' ? `${LOGIN_PATH}?next=${encodeURIComponent(here)}` : LOGIN_PATH;
}

/**
 * Where to go after login: the `next` the login page was given, when it is
 * a console path (never another site: no open redirect), else the dashboard.
 * Returned relative to /console, as the router wants it.
 */
export function pathAfterLogin(search: string): string {
  const next = new URLSearchParams(search).get('next');
  if (next === null || !next.startsWith('/console/') || next.startsWith('//') || next.includes('\\')) return '/';
  return next.slice('/console'.length);
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    /** The server's error code ("bad-credentials", "throttled", …). */
    readonly code: string,
    message: string,
    readonly body: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  /** For the login form: a 401 is the answer to show, not a reason to leave the page. */
  readonly stayOn401?: boolean;
}

async function call<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers[CSRF_HEADER] = csrfToken;
  const response = await fetch(`${API_BASE}${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    parsed = { error: 'bad-response', message: text.slice(0, 200) };
  }
  if (!response.ok) {
    if (response.status === 401 && options.stayOn401 !== true) {
      csrfToken = '';
      navigate(loginPathReturningHere(), { replace: true });
    }
    const code = typeof parsed['error'] === 'string' ? parsed['error'] : `http-${response.status}`;
    const message = typeof parsed['message'] === 'string' ? parsed['message'] : response.statusText;
    throw new ApiError(response.status, code, message, parsed);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string, options: RequestOptions = {}) => call<T>('GET', path, undefined, options),
  post: <T>(path: string, body: unknown = {}, options: RequestOptions = {}) => call<T>('POST', path, body, options),
  put: <T>(path: string, body: unknown = {}, options: RequestOptions = {}) => call<T>('PUT', path, body, options),
  patch: <T>(path: string, body: unknown = {}, options: RequestOptions = {}) => call<T>('PATCH', path, body, options),
  delete: <T>(path: string, body?: unknown, options: RequestOptions = {}) => call<T>('DELETE', path, body, options),
};
