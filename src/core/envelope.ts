/** The SMTP envelope of one message. `mailFrom` is '' for the null reverse-path (bounces). */
export interface Envelope {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
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
