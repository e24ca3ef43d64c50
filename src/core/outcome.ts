// What happened to one recipient in one delivery attempt. DSNs and log lines
// are written from these records, never by re-parsing reply strings.

/** Where in the delivery the failure happened. */
export type DeliveryStage = 'dns' | 'connect' | 'greeting' | 'ehlo' | 'tls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'local';

/** The remote server's reply, as received. */
export interface RemoteReply {
  readonly code: number;
  readonly enhanced: string | undefined;
  readonly text: string;
}

export interface DeliveryFailure {
  /** RFC 3463 status for the DSN, e.g. "5.1.1" or "4.4.1". */
  readonly status: string;
  readonly stage: DeliveryStage;
  /** Remote host name (and address) we were talking to, if any. */
  readonly remoteMta: string | undefined;
  readonly remoteReply: RemoteReply | undefined;
  /** Human detail for logs and the DSN's Diagnostic-Code when there is no remote reply. */
  readonly detail: string;
}

/** Connection facts for the per-attempt log line. */
export interface RelayInfo {
  readonly host: string;
  readonly ip: string;
  readonly port: number;
  readonly tls: { readonly version: string; readonly cipher: string } | undefined;
}

export type RecipientOutcome =
  | {
      readonly kind: 'delivered';
      readonly rcptTo: string;
      readonly relay: RelayInfo;
      readonly remoteReply: RemoteReply;
      /** The next hop offered DSN (RFC 3461) and was given the NOTIFY/ORCPT parameters: it reports from here on. */
      readonly dsnPassed?: boolean;
    }
  | {
      readonly kind: 'deferred';
      readonly rcptTo: string;
      readonly relay: RelayInfo | undefined;
      readonly failure: DeliveryFailure;
      /**
       * Held by our own shaping (a provider group's limit), not refused by
       * anyone: try again at this time; not counted as an attempt, and never
       * the reason a message expires.
       */
      readonly holdUntilMs?: number;
    }
  | { readonly kind: 'bounced'; readonly rcptTo: string; readonly relay: RelayInfo | undefined; readonly failure: DeliveryFailure };

export type OutcomeKind = RecipientOutcome['kind'];

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
