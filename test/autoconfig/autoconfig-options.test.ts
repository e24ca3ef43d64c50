// The autoconfiguration routes under other settings, on a bare Fastify
// listener (real HTTP on loopback): only the enabled submission ports are
// offered, and without an incoming server the Apple profile is refused with
// the setting that fixes it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log/logger.js';
import { registerAutoconfigRoutes } from '../../src/autoconfig/autoconfig-routes.js';
import { autodiscoverRequestXml } from '../../src/autoconfig/autodiscover-xml.js';

const app = Fastify();
after(() => app.close());

test('465 off, no IMAP: one STARTTLS server on 587, no incoming server, and no Apple profile', async () => {
  const config = parseConfig({ hostname: 'mail.shop.test', listeners: { submissions: { enabled: false } } });
  await registerAutoconfigRoutes(app, { config, domains: { get: (name: string) => (name === 'shop.test' ? {} : undefined) }, logger: silentLogger() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, isArray: (name) => ['outgoingServer', 'Protocol'].includes(name) });

  const thunderbird = await fetch(`${origin}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=a%40shop.test`);
  assert.equal(thunderbird.status, 200);
  const provider = parser.parse(await thunderbird.text()).clientConfig.emailProvider;
  assert.equal(provider.incomingServer, undefined);
  assert.deepEqual(
    (provider.outgoingServer as Record<string, unknown>[]).map((s) => [s['hostname'], s['port'], s['socketType']]),
    [['mail.shop.test', 587, 'STARTTLS']],
  );

  const discover = await fetch(`${origin}/autodiscover/autodiscover.xml`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: autodiscoverRequestXml('a@shop.test') });
  const protocols = parser.parse(await discover.text()).Autodiscover.Response.Account.Protocol as Record<string, unknown>[];
  assert.deepEqual(protocols.map((p) => [p['Type'], p['Port'], p['Encryption']]), [['SMTP', 587, 'TLS']]);

  const profile = await fetch(`${origin}/autoconfig/mail.mobileconfig?emailaddress=a%40shop.test`);
  assert.equal(profile.status, 404);
  const body = (await profile.json()) as { error: string; message: string };
  assert.equal(body.error, 'no-incoming-server');
  assert.match(body.message, /autoconfig\.imapHost/);
});
