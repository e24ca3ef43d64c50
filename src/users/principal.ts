// Who a successful login is, as the submission policy needs it: the user,
// which credential was used, and the limits that apply to that credential.
// The policy (submission/) applies the defaults this module leaves open:
// an empty `maySendAs` and an undefined quota field mean "the configured
// default".

export interface QuotaOverrides {
  readonly messagesPerHour?: number;
  readonly messagesPerDay?: number;
  readonly recipientsPerMessage?: number;
}

export const QUOTA_FIELDS = ['messagesPerHour', 'messagesPerDay', 'recipientsPerMessage'] as const;
export type QuotaField = (typeof QUOTA_FIELDS)[number];

export type Credential = { readonly kind: 'password' } | { readonly kind: 'app-password'; readonly label: string };

export interface Principal {
  /** The canonical address. */
  readonly user: string;
  readonly credential: Credential;
  /** For logs: 'password' or 'app-password:LABEL'. */
  readonly credentialName: string;
  /** Effective explicit From patterns (the app password's own, else the user's); [] = the default. */
  readonly maySendAs: readonly string[];
  readonly senderCheck: boolean;
  /** The user's overrides, each replaced by the app password's own where it has one. */
  readonly quota: QuotaOverrides;
  /** The user's own overrides: the user-wide counters apply them whichever credential is used. */
  readonly userQuota: QuotaOverrides;
  /** The user, or the app password used, is flagged (compromised-account brake). */
  readonly flagged: boolean;
}

export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'bad-credentials' | 'network-not-allowed' };

/** Why and since when an account or app password is flagged. */
export interface AccountFlag {
  readonly atMs: number;
  readonly reason: string;
}

/** What one credential carries, for the user and for each app password alike. */
export interface CredentialSettings {
  readonly maySendAs: readonly string[];
  readonly quota: QuotaOverrides;
  readonly flag: AccountFlag | undefined;
}

export interface AppPasswordRecord extends CredentialSettings {
  readonly label: string;
  readonly createdAtMs: number;
  /** Client networks it may be used from; [] = any. */
  readonly networks: readonly string[];
}

/** A user as `hikyaku user show` prints it: no secret, only whether SCRAM and CRAM-MD5 data exist. */
export interface UserDetails extends CredentialSettings {
  readonly address: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly senderCheck: boolean;
  readonly hasScramKeys: boolean;
  readonly hasCramSecret: boolean;
  readonly appPasswords: readonly AppPasswordRecord[];
}

/** The principal of `user` logged in with its password, or with the app password `appPassword`. */
export function principalOf(user: CredentialSettings & { readonly address: string; readonly senderCheck: boolean }, appPassword?: AppPasswordRecord): Principal {
  if (appPassword === undefined) {
    return {
      user: user.address,
      credential: { kind: 'password' },
      credentialName: 'password',
      maySendAs: user.maySendAs,
      senderCheck: user.senderCheck,
      quota: user.quota,
      userQuota: user.quota,
      flagged: user.flag !== undefined,
    };
  }
  return {
    user: user.address,
    credential: { kind: 'app-password', label: appPassword.label },
    credentialName: `app-password:${appPassword.label}`,
    maySendAs: appPassword.maySendAs.length > 0 ? appPassword.maySendAs : user.maySendAs,
    // An app password's own addresses bind it even for a relay account: a leak stays contained.
    senderCheck: user.senderCheck || appPassword.maySendAs.length > 0,
    quota: { ...user.quota, ...appPassword.quota },
    userQuota: user.quota,
    // Flagging the user stops every credential; flagging an app password only that one.
    flagged: user.flag !== undefined || appPassword.flag !== undefined,
  };
}
