// Table tests of app password client networks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAllowed, parseNetwork } from './client-networks.js';

test('parseNetwork: CIDR blocks and bare addresses', () => {
  const rows: [string, string | undefined][] = [
    ['192.0.2.0/24', '192.0.2.0/24'],
    [' 192.0.2.7 ', '192.0.2.7/32'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['192.0.2.0/33', undefined],
    ['192.0.2.0/', undefined],
    ['192.0.2.0/24/1', undefined],
    ['example.com', undefined],
    ['', undefined],
  ];
  for (const [text, stored] of rows) assert.equal(parseNetwork(text), stored, text);
});

test('clientAllowed: empty means anywhere; IPv4-mapped IPv6 counts as IPv4', () => {
  const nets = ['192.0.2.0/24', '2001:db8::/32'];
  const rows: [string | undefined, boolean][] = [
    ['192.0.2.10', true],
    ['::ffff:192.0.2.10', true],
    ['192.0.3.10', false],
    ['2001:db8::5', true],
    ['2001:db9::5', false],
    ['not an ip', false],
    [undefined, false],
  ];
  for (const [ip, allowed] of rows) assert.equal(clientAllowed(ip, nets), allowed, String(ip));
  assert.equal(clientAllowed('203.0.113.1', []), true);
  assert.equal(clientAllowed(undefined, []), true);
});
