export type UserStoreErrorCode =
  | 'exists'
  | 'not-found'
  | 'invalid-address'
  | 'weak-password'
  | 'invalid-pattern'
  | 'invalid-network'
  | 'invalid-quota'
  | 'invalid-label';

/** A refused change; `code` lets the CLI word the message for the user. */
export class UserStoreError extends Error {
  readonly code: UserStoreErrorCode;
  constructor(code: UserStoreErrorCode, message: string) {
    super(message);
    this.name = 'UserStoreError';
    this.code = code;
  }
}
