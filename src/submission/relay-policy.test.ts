import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrustedClient, mayRelay, trustedNetworkList } from './relay-policy.js';

test('trusted networks match IPv4, IPv4-mapped IPv6 and IPv6', () => {
  const list = trustedNetworkList(['127.0.0.0/8', '192.0.2.10', '::1/128']);
  assert.equal(isTrustedClient(list, '127.0.0.5'), true);
  assert.equal(isTrustedClient(list, '::ffff:127.0.0.1'), true);
  assert.equal(isTrustedClient(list, '192.0.2.10'), true);
  assert.equal(isTrustedClient(list, '192.0.2.11'), false);
  assert.equal(isTrustedClient(list, '::1'), true);
  assert.equal(isTrustedClient(list, '2001:db8::1'), false);
  assert.equal(isTrustedClient(list, 'not-an-ip'), false);
});

test('relay is allowed only when authenticated, or from a trusted network on the relay listener', () => {
  const rows: [Parameters<typeof mayRelay>[0], boolean][] = [
    [{ listener: 'submission', authenticatedUser: undefined, trustedClient: true }, false],
    [{ listener: 'submission', authenticatedUser: 'a@example.com', trustedClient: false }, true],
    [{ listener: 'submissions', authenticatedUser: undefined, trustedClient: true }, false],
    [{ listener: 'relay', authenticatedUser: undefined, trustedClient: false }, false],
    [{ listener: 'relay', authenticatedUser: undefined, trustedClient: true }, true],
    [{ listener: 'relay', authenticatedUser: 'a@example.com', trustedClient: false }, true],
  ];
  for (const [input, expected] of rows) assert.equal(mayRelay(input), expected, JSON.stringify(input));
});
