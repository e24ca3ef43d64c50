// What one TLS-RPT (RFC 8460) observation is: the outcome of one new SMTP
// session (or one policy that could not be had) towards a policy domain.
// The deliverer reports these through the recorder main.ts gives it; the
// store counts them per day (tlsrpt-store.ts).

/** RFC 8460 §4.3.2.2 result types we observe. */
export type TlsResultType =
  | 'starttls-not-supported'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure'
  | 'sts-policy-fetch-error'
  | 'sts-policy-invalid'
  | 'sts-webpki-invalid'
  | 'tlsa-invalid'
  | 'dnssec-invalid';

export interface TlsSessionResult {
  /** The recipient domain whose policy applied (RFC 8460 §4.3.1.3 policy-domain). */
  readonly policyDomain: string;
  /** RFC 8460 §4.3.1.1: 'tlsa' (DANE), 'sts' (a policy, or one that failed to load) or 'no-policy-found'. */
  readonly policyType: 'tlsa' | 'sts' | 'no-policy-found';
  /** The policy file's lines, or the TLSA records (policy-string); empty without a policy. */
  readonly policyStrings: readonly string[];
  /** The policy's mx patterns (mx-host). */
  readonly mxPatterns: readonly string[];
  readonly receivingMxHostname: string | undefined;
  readonly receivingIp: string | undefined;
  readonly sendingIp: string | undefined;
  /** undefined = a successful session. */
  readonly failure: { readonly resultType: TlsResultType; readonly detail: string } | undefined;
}

export interface TlsSessionRecorder {
  record(result: TlsSessionResult): void;
}
