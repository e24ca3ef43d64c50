// The session limits that need a server of their own: an idle client is
// dropped after limits.socketTimeout with 421 4.4.2, and a connection past
// limits.maxConnections gets 421 4.7.0 before any greeting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { SmtpDialog } from '../helpers/smtp-dialog.js';
import { startHikyaku, type TestServer } from '../helpers/hikyaku.js';

let dns: TestDnsServer;
let server: TestServer;

before(async () => {
  dns = await startDnsServer({});
  server = await startHikyaku({ dns: dns.address, mxPort: 25 }, { limits: { socketTimeout: '400ms', maxConnections: 2 } });
});

after(async () => {
  await server?.stop();
  await dns?.close();
});

test('an idle client gets 421 4.4.2 after limits.socketTimeout and is disconnected; an active one is not', async () => {
  const idle = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await idle.read()).code, 220);
  const active = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await active.read()).code, 220);
  // The active client talks every 150 ms, well inside the 400 ms limit, for longer than the limit.
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await active.command('NOOP')).code, 250);
  }
  const dropped = await idle.read(5000);
  assert.equal(dropped.code, 421);
  assert.equal(dropped.enhanced, '4.4.2');
  await assert.rejects(idle.read(2000), /connection closed/);
  await active.close();
});

test('past limits.maxConnections a connection gets 421 4.7.0 at once; a slot that frees up is usable again', async () => {
  const first = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  const second = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await first.read()).code, 220);
  assert.equal((await second.read()).code, 220);
  const third = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  const refused = await third.read();
  assert.equal(refused.code, 421);
  assert.equal(refused.enhanced, '4.7.0');
  await assert.rejects(third.read(2000), /connection closed/);
  await first.command('QUIT');
  await first.close();
  // The session count drops as soon as the server ends the session.
  const fourth = await SmtpDialog.open({ host: '127.0.0.1', port: server.ports.submission });
  assert.equal((await fourth.read()).code, 220);
  await second.close();
  await fourth.close();
});
