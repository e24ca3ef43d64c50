import test from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle } from './auth-throttle.js';

const MIN = 60_000;

test('AuthThrottle: the 10th failure from one address blocks it for 15 minutes, whatever the login', () => {
  const throttle = new AuthThrottle();
  for (let i = 0; i < 9; i++) assert.equal(throttle.recordFailure('192.0.2.1', `user${i}`, i * 1000), undefined);
  assert.equal(throttle.isBlocked('192.0.2.1', 'someone', 9000), undefined);
  const block = throttle.recordFailure('192.0.2.1', 'user9', 9000);
  assert.deepEqual(block, { scope: 'client', key: '192.0.2.1', untilMs: 9000 + 15 * MIN });
  assert.deepEqual(throttle.isBlocked('192.0.2.1', undefined, 10_000), block);
  assert.equal(throttle.isBlocked('192.0.2.2', 'user1', 10_000), undefined);
  assert.equal(throttle.isBlocked('192.0.2.1', undefined, 9000 + 15 * MIN), undefined);
});

test('AuthThrottle: one login attacked from many addresses is blocked from everywhere', () => {
  const throttle = new AuthThrottle();
  for (let i = 1; i <= 10; i++) throttle.recordFailure(`198.51.100.${i}`, 'Info@Example.com ', i);
  const block = throttle.isBlocked('203.0.113.9', 'info@example.com', 11);
  assert.deepEqual(block, { scope: 'login', key: 'info@example.com', untilMs: 10 + 15 * MIN });
  assert.equal(throttle.isBlocked('203.0.113.9', 'other@example.com', 11), undefined);
});

test('AuthThrottle: failures older than the window do not count', () => {
  const throttle = new AuthThrottle({ failureWindowMs: 1000, maxFailuresPerClient: 3 });
  throttle.recordFailure('192.0.2.1', undefined, 0);
  throttle.recordFailure('192.0.2.1', undefined, 500);
  assert.equal(throttle.recordFailure('192.0.2.1', undefined, 1000), undefined); // a new window began
  assert.deepEqual(throttle.failures('192.0.2.1', undefined, 1000), { client: 1, login: 0 });
});

test('AuthThrottle: a success clears the login count but not the address count', () => {
  const throttle = new AuthThrottle({ maxFailuresPerClient: 5, maxFailuresPerLogin: 5 });
  for (let i = 0; i < 4; i++) throttle.recordFailure('192.0.2.1', 'victim@example.com', i);
  throttle.recordSuccess('192.0.2.1', 'VICTIM@example.com', 4);
  assert.deepEqual(throttle.failures('192.0.2.1', 'victim@example.com', 5), { client: 4, login: 0 });
  // An attacker interleaving its own valid account still reaches the address limit.
  throttle.recordSuccess('192.0.2.1', 'attacker@example.com', 5);
  assert.equal(throttle.recordFailure('192.0.2.1', 'victim@example.com', 6)?.scope, 'client');
});

test('AuthThrottle: a success does not lift a block in force', () => {
  const throttle = new AuthThrottle({ maxFailuresPerLogin: 2, maxFailuresPerClient: 100 });
  throttle.recordFailure('192.0.2.1', 'a@example.com', 0);
  throttle.recordFailure('192.0.2.2', 'a@example.com', 0);
  throttle.recordSuccess('192.0.2.3', 'a@example.com', 1);
  assert.equal(throttle.isBlocked('192.0.2.3', 'a@example.com', 1)?.scope, 'login');
});

test('AuthThrottle: IPv6 clients count per /64', () => {
  const throttle = new AuthThrottle({ maxFailuresPerClient: 3 });
  throttle.recordFailure('2001:db8:1:2::1', undefined, 0);
  throttle.recordFailure('2001:db8:1:2::ffff', undefined, 0);
  throttle.recordFailure('2001:db8:1:2:aaaa:bbbb:cccc:dddd', undefined, 0);
  assert.deepEqual(throttle.isBlocked('2001:db8:1:2::42', undefined, 1), { scope: 'client', key: '2001:db8:1:2::/64', untilMs: 15 * MIN });
  assert.equal(throttle.isBlocked('2001:db8:1:3::1', undefined, 1), undefined);
});

test('AuthThrottle: memory stays bounded under a scan from 300,000 addresses and names', () => {
  const throttle = new AuthThrottle({ maxTrackedKeys: 1000 });
  for (let i = 0; i < 300_000; i++) {
    throttle.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `name${i}`, i);
  }
  assert.deepEqual(throttle.size, { clients: 1000, logins: 1000 });
});

test('AuthThrottle: idle entries go away as the tables are used', () => {
  const throttle = new AuthThrottle({ failureWindowMs: 1000, blockMs: 1000 });
  for (let i = 0; i < 100; i++) throttle.recordFailure(`192.0.2.${i}`, `n${i}`, 0);
  for (let i = 0; i < 60; i++) throttle.recordFailure('198.51.100.1', 'late', 5000 + i);
  assert.deepEqual(throttle.size, { clients: 1, logins: 1 });
});
