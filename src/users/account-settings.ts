// Validation of what an administrator sets on a user or an app password:
// every value is checked and brought to its stored form before anything is
// written, and a bad one is refused with the value named — never dropped.
import { parseNetwork } from './client-networks.js';
import { parseSenderPattern } from './sender-patterns.js';
import { UserStoreError } from './user-store-error.js';
import { QUOTA_FIELDS } from './principal.js';

/** A quota change: a number sets the override, null clears it (back to the configured default), absent leaves it. */
export type QuotaChange = { readonly [K in (typeof QUOTA_FIELDS)[number]]?: number | null };

export interface UserSettingsChange {
  /** Replaces the list; [] = back to the default. */
  readonly maySendAs?: readonly string[];
  readonly senderCheck?: boolean;
  readonly quota?: QuotaChange;
}

export interface AppPasswordOptions {
  readonly label: string;
  readonly maySendAs?: readonly string[];
  readonly networks?: readonly string[];
  readonly quota?: QuotaChange;
}

/** Generous: a limit is a brake on abuse, not a billing unit. */
export const MAX_QUOTA = 10_000_000;

export function checkPatterns(patterns: readonly string[]): string[] {
  const stored = patterns.map((p) => {
    const pattern = parseSenderPattern(p);
    if (pattern === undefined) throw new UserStoreError('invalid-pattern', `invalid sender pattern: ${JSON.stringify(p)} (allowed: name@example.com or *@example.com)`);
    return pattern;
  });
  return [...new Set(stored)];
}

export function checkNetworks(networks: readonly string[]): string[] {
  const stored = networks.map((n) => {
    const network = parseNetwork(n);
    if (network === undefined) throw new UserStoreError('invalid-network', `invalid network: ${JSON.stringify(n)} (allowed: 192.0.2.0/24, 2001:db8::/32 or one address)`);
    return network;
  });
  return [...new Set(stored)];
}

export function checkQuota(quota: QuotaChange): QuotaChange {
  for (const field of QUOTA_FIELDS) {
    const value = quota[field];
    if (value !== undefined && value !== null && (!Number.isInteger(value) || value < 1 || value > MAX_QUOTA)) {
      throw new UserStoreError('invalid-quota', `invalid ${field}: ${value} (allowed: a whole number from 1 to ${MAX_QUOTA})`);
    }
  }
  return quota;
}

/** Column name of each quota field. */
export const QUOTA_COLUMNS = {
  messagesPerHour: 'messages_per_hour',
  messagesPerDay: 'messages_per_day',
  recipientsPerMessage: 'recipients_per_message',
} as const;
