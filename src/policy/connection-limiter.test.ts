import test from 'node:test';
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import { ConnectionLimiter, type ConnectionDecision } from './connection-limiter.js';

function admitted(decision: ConnectionDecision): () => void {
  assert.equal(decision.ok, true, `refused: ${decision.ok ? '' : decision.reason}`);
  return decision.ok ? decision.release : () => {};
}

test('ConnectionLimiter: simultaneous sessions per client, freed by release', () => {
  const limiter = new ConnectionLimiter({ maxPerClient: 2 });
  const first = admitted(limiter.open('192.0.2.1', 0));
  admitted(limiter.open('192.0.2.1', 1));
  assert.deepEqual(limiter.open('192.0.2.1', 2), { ok: false, reason: 'concurrency' });
  admitted(limiter.open('192.0.2.2', 2)); // another client
  first();
  first(); // a second release frees nothing more
  assert.equal(limiter.openCount('192.0.2.1'), 1);
  admitted(limiter.open('192.0.2.1', 3));
  assert.equal(limiter.open('192.0.2.1', 4).ok, false);
});

test('ConnectionLimiter: new connections per rate window, refused attempts counted', () => {
  const limiter = new ConnectionLimiter({ maxRatePerClient: 3, rateWindowMs: 1000 });
  for (let i = 0; i < 3; i++) admitted(limiter.open('192.0.2.1', i))();
  assert.deepEqual(limiter.open('192.0.2.1', 10), { ok: false, reason: 'rate' });
  assert.equal(limiter.open('192.0.2.1', 999).ok, false);
  admitted(limiter.open('192.0.2.1', 1000)); // a new window
});

test('ConnectionLimiter: IPv6 counts per /64; IPv4-mapped as IPv4', () => {
  const limiter = new ConnectionLimiter({ maxPerClient: 2 });
  admitted(limiter.open('2001:db8:0:1::1', 0));
  admitted(limiter.open('2001:db8:0:1::2', 0));
  assert.equal(limiter.open('2001:db8:0:1:ffff::3', 0).ok, false);
  admitted(limiter.open('2001:db8:0:2::1', 0));
  admitted(limiter.open('::ffff:192.0.2.1', 0));
  admitted(limiter.open('192.0.2.1', 0));
  assert.equal(limiter.open('192.0.2.1', 0).ok, false);
});

test('ConnectionLimiter: exempt networks are not limited; loopback is limited unless listed', () => {
  const exempt = new BlockList();
  exempt.addSubnet('10.0.0.0', 8, 'ipv4');
  exempt.addSubnet('2001:db8:ff::', 48, 'ipv6');
  const limiter = new ConnectionLimiter({ maxPerClient: 1, maxRatePerClient: 1, exempt });
  for (let i = 0; i < 5; i++) {
    admitted(limiter.open('10.1.2.3', 0));
    admitted(limiter.open('::ffff:10.1.2.3', 0));
    admitted(limiter.open('2001:db8:ff:1::1', 0));
  }
  assert.equal(limiter.size, 0);
  admitted(limiter.open('127.0.0.1', 0));
  assert.equal(limiter.open('127.0.0.1', 0).ok, false);
  const plain = new ConnectionLimiter({ maxPerClient: 1 });
  admitted(plain.open('::1', 0));
  assert.equal(plain.open('::1', 0).ok, false);
});

test('ConnectionLimiter: memory bounded under a scan; idle entries removed', () => {
  const limiter = new ConnectionLimiter({ maxTrackedClients: 500, rateWindowMs: 1000 });
  for (let i = 0; i < 200_000; i++) limiter.open(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i / 1000);
  assert.equal(limiter.size, 500);
  const idle = new ConnectionLimiter({ rateWindowMs: 1000 });
  for (let i = 0; i < 100; i++) admitted(idle.open(`192.0.2.${i}`, 0))();
  const held = admitted(idle.open('198.51.100.1', 0)); // a long session
  for (let i = 0; i < 60; i++) idle.open('203.0.113.1', 2000 + i);
  assert.equal(idle.size, 2); // the long session and the newcomer
  held();
});
