// Rows of users.db as SQLite returns them, and their conversion to the
// records of principal.ts. Lists are JSON arrays in TEXT columns.
import type { AccountFlag, AppPasswordRecord, QuotaOverrides } from './principal.js';

export interface QuotaColumns {
  readonly messages_per_hour: number | null;
  readonly messages_per_day: number | null;
  readonly recipients_per_message: number | null;
}

interface FlagColumns {
  readonly flagged_at_ms: number | null;
  readonly flag_reason: string | null;
}

export interface UserRow extends QuotaColumns, FlagColumns {
  readonly address: string;
  readonly password_hash: string;
  readonly created_at_ms: number;
  readonly updated_at_ms: number;
  readonly may_send_as: string;
  readonly sender_check: number;
  readonly scram_keys: string | null;
  readonly cram_secret: string | null;
}

export interface AppPasswordRow extends QuotaColumns, FlagColumns {
  readonly user: string;
  readonly label: string;
  readonly created_at_ms: number;
  readonly may_send_as: string;
  readonly networks: string;
}

export const USER_COLUMNS =
  'address, password_hash, created_at_ms, updated_at_ms, may_send_as, sender_check, messages_per_hour, messages_per_day, recipients_per_message, flagged_at_ms, flag_reason, scram_keys, cram_secret';
export const APP_PASSWORD_COLUMNS =
  'user, label, created_at_ms, may_send_as, networks, messages_per_hour, messages_per_day, recipients_per_message, flagged_at_ms, flag_reason';

/** A stored JSON list of strings; [] when the column holds anything else (a damaged value must not widen anything: [] is the default). */
export function decodeList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : [];
  } catch {
    return [];
  }
}

export function decodeQuota(row: QuotaColumns): QuotaOverrides {
  return {
    ...(row.messages_per_hour !== null && { messagesPerHour: row.messages_per_hour }),
    ...(row.messages_per_day !== null && { messagesPerDay: row.messages_per_day }),
    ...(row.recipients_per_message !== null && { recipientsPerMessage: row.recipients_per_message }),
  };
}

export function decodeFlag(row: FlagColumns): AccountFlag | undefined {
  return row.flagged_at_ms === null ? undefined : { atMs: row.flagged_at_ms, reason: row.flag_reason ?? '' };
}

export function toAppPasswordRecord(row: AppPasswordRow): AppPasswordRecord {
  return {
    label: row.label,
    createdAtMs: row.created_at_ms,
    networks: decodeList(row.networks),
    maySendAs: decodeList(row.may_send_as),
    quota: decodeQuota(row),
    flag: decodeFlag(row),
  };
}

export function toUserSettings(row: UserRow): { address: string; senderCheck: boolean; maySendAs: string[]; quota: QuotaOverrides; flag: AccountFlag | undefined } {
  return { address: row.address, senderCheck: row.sender_check !== 0, maySendAs: decodeList(row.may_send_as), quota: decodeQuota(row), flag: decodeFlag(row) };
}
