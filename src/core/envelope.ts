/** The SMTP envelope of one message. `mailFrom` is '' for the null reverse-path (bounces). */
export interface Envelope {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  /** RFC 3461 / RFC 6531 parameters of the transaction, when the client gave any. */
  readonly params?: EnvelopeParams | undefined;
}

/** RFC 3461 §4.1 NOTIFY: "NEVER", or a canonical comma list in the order SUCCESS,FAILURE,DELAY. */
export type Notify = string;

/** What the client asked for one recipient (RFC 3461 §4.1, §4.2). */
export interface RecipientParams {
  /** Absent: the default, FAILURE,DELAY (RFC 3461 §4.1). */
  readonly notify?: Notify | undefined;
  /** ORCPT as "addr-type;address", xtext-decoded. */
  readonly orcpt?: string | undefined;
}

export interface EnvelopeParams {
  /** RFC 3461 §4.3 RET: the whole message or only its headers in a failure DSN. */
  readonly ret?: 'FULL' | 'HDRS' | undefined;
  /** RFC 3461 §4.4 ENVID, xtext-decoded. */
  readonly envId?: string | undefined;
  /** MAIL FROM had SMTPUTF8 (RFC 6531 §3.4). */
  readonly smtputf8?: boolean | undefined;
  /** MAIL FROM had REQUIRETLS (RFC 8689 §4.1): only verified TLS, all the way. */
  readonly requireTls?: boolean | undefined;
  /** Per recipient, keyed by the address as it is in `rcptTo`; recipients without parameters are absent. */
  readonly recipients?: ReadonlyMap<string, RecipientParams> | undefined;
}

/** Whether a recipient's NOTIFY asks for this kind of DSN; no NOTIFY means FAILURE,DELAY (RFC 3461 §4.1). */
export function notifies(notify: Notify | undefined, kind: 'SUCCESS' | 'FAILURE' | 'DELAY'): boolean {
  if (notify === undefined) return kind !== 'SUCCESS';
  return notify.split(',').includes(kind);
}

/** Who handed the message to us, for the Received header and the acceptance log line. */
export interface Submitter {
  readonly clientIp: string;
  readonly clientHostname: string;
  readonly helo: string;
  /** Authenticated user (an email address), if any. */
  readonly user: string | undefined;
  /** Which of the user's credentials: 'password' or 'app-password:LABEL' (for logs). */
  readonly credential?: string | undefined;
  /** 'ESMTPSA' etc. (RFC 3848 with-protocol types). */
  readonly protocol: string;
  readonly tls: { readonly version: string; readonly cipher: string } | undefined;
  /** Which way in: 'submission' (587), 'submissions' (465), 'relay' (25), 'api', 'bounce'. */
  readonly via: string;
}
