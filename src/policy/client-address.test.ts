import test from 'node:test';
import assert from 'node:assert/strict';
import { clientKey } from './client-address.js';

test('clientKey: IPv4 addresses count one by one', () => {
  assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
  assert.equal(clientKey('127.0.0.1'), '127.0.0.1');
});

test('clientKey: IPv4-mapped IPv6 counts as the IPv4 address', () => {
  assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(clientKey('::FFFF:192.0.2.1'), '192.0.2.1');
});

test('clientKey: IPv6 counts per /64, however the address is written', () => {
  const key = '2001:db8:0:1::/64';
  assert.equal(clientKey('2001:db8:0:1:a:b:c:d'), key);
  assert.equal(clientKey('2001:0DB8:0000:0001::1'), key);
  assert.equal(clientKey('2001:db8:0:1::'), key);
  assert.equal(clientKey('2001:db8::1:0:0:0:1'), key);
  assert.equal(clientKey('2001:db8:0:1:ffff::%eth0'), key);
  assert.notEqual(clientKey('2001:db8:0:2::1'), key);
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.equal(clientKey('::'), '0:0:0:0::/64');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
});

test('clientKey: what is not an address is returned unchanged', () => {
  for (const text of ['1:2:3', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', '12345::1']) assert.equal(clientKey(text), text);
});
