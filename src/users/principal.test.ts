import { test } from 'node:test';
import assert from 'node:assert/strict';
import { principalOf, type AppPasswordRecord } from './principal.js';

const user = { address: 'a@example.com', senderCheck: true, maySendAs: ['*@example.com'], quota: { messagesPerHour: 100, messagesPerDay: 500 }, flag: undefined };
const app: AppPasswordRecord = { label: 'shop', createdAtMs: 1, networks: [], maySendAs: [], quota: { messagesPerHour: 10 }, flag: undefined };

test('principalOf: the password', () => {
  assert.deepEqual(principalOf(user), {
    user: 'a@example.com',
    credential: { kind: 'password' },
    credentialName: 'password',
    maySendAs: ['*@example.com'],
    senderCheck: true,
    quota: { messagesPerHour: 100, messagesPerDay: 500 },
    userQuota: { messagesPerHour: 100, messagesPerDay: 500 },
    flagged: false,
  });
});

test("principalOf: an app password's own settings win field by field; flags add up", () => {
  const p = principalOf(user, app);
  assert.deepEqual(p.credential, { kind: 'app-password', label: 'shop' });
  assert.equal(p.credentialName, 'app-password:shop');
  assert.deepEqual(p.maySendAs, ['*@example.com'], "empty: the user's patterns");
  assert.deepEqual(p.quota, { messagesPerHour: 10, messagesPerDay: 500 });
  assert.deepEqual(p.userQuota, { messagesPerHour: 100, messagesPerDay: 500 }, 'the user-wide counters keep the user’s own limits');
  assert.equal(p.flagged, false);
  assert.deepEqual(principalOf(user, { ...app, maySendAs: ['shop@example.com'] }).maySendAs, ['shop@example.com']);
  assert.equal(principalOf(user, { ...app, flag: { atMs: 1, reason: 'x' } }).flagged, true);
  assert.equal(principalOf({ ...user, flag: { atMs: 1, reason: 'x' } }, app).flagged, true, 'a flagged user stops its app passwords too');
  assert.equal(principalOf(user).flagged, false, 'a flagged app password does not stop the password');
});
