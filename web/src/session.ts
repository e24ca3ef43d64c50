// Who is logged in, for the layout (name, logout); loaded once at start.
import { useEffect, useState } from 'preact/hooks';
import { api, setCsrfToken } from './api.js';

export interface SessionInfo {
  readonly name: string;
  readonly csrfToken: string;
}

let current: SessionInfo | undefined;
const listeners = new Set<(s: SessionInfo | undefined) => void>();

export function setSession(session: SessionInfo | undefined): void {
  current = session;
  setCsrfToken(session?.csrfToken ?? '');
  for (const listener of listeners) listener(session);
}

export async function loadSession(): Promise<SessionInfo> {
  const session = await api.get<SessionInfo>('/session');
  setSession(session);
  return session;
}

export function useSession(): SessionInfo | undefined {
  const [session, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    set(current);
    return () => void listeners.delete(set);
  }, []);
  return session;
}
