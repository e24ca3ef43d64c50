import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAdminDatabase } from './admin-database.js';

const dir = mkdtempSync(join(tmpdir(), 'hikyaku-sessions-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MINUTE = 60_000;
const db = openAdminDatabase(dir, { idleMs: 30 * MINUTE, absoluteMs: 12 * 60 * MINUTE });
db.admins.add('director', '$scrypt$placeholder', undefined);
after(() => db.close());

test('a session lives while used, and ends after 30 minutes idle', () => {
  const t0 = 1_000_000_000_000;
  const { id, session } = db.sessions.create('director', t0);
  assert.equal(session.admin, 'director');
  assert.equal(db.sessions.find(id, t0 + 29 * MINUTE)?.admin, 'director');
  // Used at +29 min: idle time starts again from there.
  assert.equal(db.sessions.find(id, t0 + 58 * MINUTE)?.admin, 'director');
  assert.equal(db.sessions.find(id, t0 + 89 * MINUTE), undefined);
  assert.equal(db.sessions.find(id, t0 + 90 * MINUTE), undefined, 'gone for good');
});

test('a session ends 12 hours after login however busy it is', () => {
  const t0 = 2_000_000_000_000;
  const { id } = db.sessions.create('director', t0);
  for (let m = 20; m < 12 * 60; m += 20) assert.ok(db.sessions.find(id, t0 + m * MINUTE), `alive at ${m} min`);
  assert.equal(db.sessions.find(id, t0 + 12 * 60 * MINUTE + 1), undefined);
});

test('only a hash of the session id is stored; the CSRF token differs per session', () => {
  const a = db.sessions.create('director');
  const b = db.sessions.create('director');
  assert.notEqual(a.session.csrfToken, b.session.csrfToken);
  assert.notEqual(a.id, b.id);
  const file = readFileSync(join(dir, 'console.db')).toString('latin1') + readFileSync(join(dir, 'console.db-wal')).toString('latin1');
  assert.ok(!file.includes(a.id), 'the cookie value is not in the database');
  assert.equal(db.sessions.find('not-a-session'), undefined);
});

test('removing an admin ends their sessions', () => {
  db.admins.add('temp', '$scrypt$placeholder', undefined);
  const { id } = db.sessions.create('temp');
  db.admins.remove('temp');
  assert.equal(db.sessions.find(id), undefined);
});
