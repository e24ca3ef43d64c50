// Mail-client autoconfiguration end to end (issue 10 point 9): the whole
// server on loopback, real HTTP requests, every answer read back with an XML
// or plist parser (never string matching) and checked for the host, the
// ports the submission listeners really bound, the socket type of each
// (SSL for implicit TLS, STARTTLS for submission) and the username.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { parse as parsePlist } from 'plist';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startHikyaku, tempDir, type TestServer } from '../helpers/hikyaku.js';
import { DomainStore } from '../../src/domains/domain-store.js';
import { autodiscoverRequestXml } from '../../src/autoconfig/autodiscover-xml.js';

const ADDRESS = 'staff@shop.test';
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, isArray: (name) => ['outgoingServer', 'Protocol'].includes(name) });

let dns: TestDnsServer;
let server: TestServer;
let origin: string;

before(async () => {
  dns = await startDnsServer({});
  const dataDir = join(tempDir('hikyaku-autoconfig-'), 'data');
  const domains = DomainStore.open(dataDir);
  domains.add('shop.test');
  domains.close();
  server = await startHikyaku({ dns: dns.address, mxPort: 25 }, { autoconfig: { smtpHost: 'smtp.shop.test', imapHost: 'imap.mailbox.test' } }, { dataDir });
  origin = `http://127.0.0.1:${server.ports.http}`;
});

after(async () => {
  await server?.stop();
  await dns?.close();
});

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** A real HTTP request; `host` sets the Host header as a client of autoconfig.DOMAIN would send it. */
function get(path: string, options: { method?: string; host?: string; body?: string; type?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.host !== undefined) headers['host'] = options.host;
    if (options.type !== undefined) headers['content-type'] = options.type;
    const req = httpRequest(`${origin}${path}`, { method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function expectedSmtp(): { port: number; socketType: string }[] {
  return [
    { port: server.ports.submissions, socketType: 'SSL' },
    { port: server.ports.submission, socketType: 'STARTTLS' },
  ];
}

test('Thunderbird autoconfig (.well-known) names both submission ports with their socket types, the IMAP server and the address as username', async () => {
  const answer = await get(`/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(ADDRESS)}`);
  assert.equal(answer.status, 200, answer.body);
  assert.match(answer.type, /^application\/xml/);
  const provider = xml.parse(answer.body).clientConfig.emailProvider;
  assert.equal(provider['@_id'], 'shop.test');
  assert.equal(provider.domain, 'shop.test');
  const outgoing = provider.outgoingServer as Record<string, unknown>[];
  assert.deepEqual(
    outgoing.map((s) => ({ port: s['port'], socketType: s['socketType'] })),
    expectedSmtp(),
  );
  for (const s of outgoing) {
    assert.equal(s['@_type'], 'smtp');
    assert.equal(s['hostname'], 'smtp.shop.test');
    assert.equal(s['username'], ADDRESS);
    assert.equal(s['authentication'], 'password-cleartext');
  }
  assert.equal(provider.incomingServer['@_type'], 'imap');
  assert.equal(provider.incomingServer.hostname, 'imap.mailbox.test');
  assert.equal(provider.incomingServer.port, 993);
  assert.equal(provider.incomingServer.socketType, 'SSL');
});

test('Thunderbird on the autoconfig.DOMAIN host: /mail/config-v1.1.xml, the domain from the Host header when no address is given', async () => {
  const withAddress = await get(`/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(ADDRESS)}`, { host: 'autoconfig.shop.test' });
  assert.equal(withAddress.status, 200, withAddress.body);
  assert.equal(xml.parse(withAddress.body).clientConfig.emailProvider.outgoingServer[0].username, ADDRESS);
  const byHost = await get('/mail/config-v1.1.xml', { host: 'autoconfig.shop.test' });
  assert.equal(byHost.status, 200, byHost.body);
  const provider = xml.parse(byHost.body).clientConfig.emailProvider;
  assert.equal(provider.domain, 'shop.test');
  assert.equal(provider.outgoingServer[0].username, '%EMAILADDRESS%');
  const neither = await get('/mail/config-v1.1.xml');
  assert.equal(neither.status, 400);
  assert.match(JSON.parse(neither.body).message, /emailaddress=/);
});

test('Autodiscover POX: the request Outlook sends, over real HTTP, on both spellings of the path', async () => {
  for (const path of ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml']) {
    const answer = await get(path, { method: 'POST', type: 'text/xml', body: autodiscoverRequestXml(ADDRESS) });
    assert.equal(answer.status, 200, answer.body);
    const response = xml.parse(answer.body).Autodiscover.Response;
    assert.equal(response.Account.AccountType, 'email');
    assert.equal(response.Account.Action, 'settings');
    const protocols = response.Account.Protocol as Record<string, unknown>[];
    const smtp = protocols.filter((p) => p['Type'] === 'SMTP');
    assert.deepEqual(
      smtp.map((p) => ({ port: p['Port'], socketType: p['Encryption'] === 'SSL' ? 'SSL' : p['Encryption'] === 'TLS' ? 'STARTTLS' : p['Encryption'] })),
      expectedSmtp(),
    );
    for (const p of smtp) {
      assert.equal(p['Server'], 'smtp.shop.test');
      assert.equal(p['LoginName'], ADDRESS);
      assert.equal(p['AuthRequired'], 'on');
    }
    const imap = protocols.find((p) => p['Type'] === 'IMAP');
    assert.equal(imap?.['Server'], 'imap.mailbox.test');
    assert.equal(imap?.['Port'], 993);
  }
});

test('Autodiscover refuses a body that is not its request, with the reason', async () => {
  const broken = await get('/autodiscover/autodiscover.xml', { method: 'POST', type: 'text/xml', body: '<Autodiscover><Request>' });
  assert.equal(broken.status, 400);
  assert.match(JSON.parse(broken.body).message, /not well-formed XML/);
  const noAddress = await get('/autodiscover/autodiscover.xml', { method: 'POST', type: 'application/xml', body: '<Autodiscover><Request/></Autodiscover>' });
  assert.equal(noAddress.status, 400);
  assert.match(JSON.parse(noAddress.body).message, /EMailAddress/);
});

test('the Apple profile (.mobileconfig) is a plist with one Mail payload carrying the servers and the username', async () => {
  const answer = await get(`/autoconfig/mail.mobileconfig?emailaddress=${encodeURIComponent(ADDRESS)}`);
  assert.equal(answer.status, 200, answer.body);
  assert.equal(answer.type, 'application/x-apple-aspen-config');
  assert.match(String(answer.headers['content-disposition']), /attachment; filename="shop\.test\.mobileconfig"/);
  const profile = parsePlist(answer.body) as Record<string, unknown>;
  assert.equal(profile['PayloadType'], 'Configuration');
  const [mail, ...rest] = profile['PayloadContent'] as Record<string, unknown>[];
  assert.equal(rest.length, 0);
  assert.equal(mail?.['PayloadType'], 'com.apple.mail.managed');
  assert.equal(mail?.['EmailAddress'], ADDRESS);
  assert.equal(mail?.['OutgoingMailServerHostName'], 'smtp.shop.test');
  assert.equal(mail?.['OutgoingMailServerPortNumber'], server.ports.submissions, 'implicit TLS first');
  assert.equal(mail?.['OutgoingMailServerUseSSL'], true);
  assert.equal(mail?.['OutgoingMailServerUsername'], ADDRESS);
  assert.equal(mail?.['IncomingMailServerHostName'], 'imap.mailbox.test');
  assert.equal(mail?.['IncomingMailServerUsername'], ADDRESS);
  assert.match(String(mail?.['PayloadUUID']), /^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  // Downloaded again: the same identifiers, so the device replaces the profile instead of adding one.
  const again = parsePlist((await get(`/autoconfig/mail.mobileconfig?emailaddress=${encodeURIComponent(ADDRESS)}`)).body) as Record<string, unknown>;
  assert.equal(again['PayloadUUID'], profile['PayloadUUID']);
});

test('a domain this server does not send for: 404 on every endpoint, naming the domain and the fix', async () => {
  const other = 'someone@elsewhere.test';
  const answers = [
    await get(`/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(other)}`),
    await get('/mail/config-v1.1.xml', { host: 'autoconfig.elsewhere.test' }),
    await get('/autodiscover/autodiscover.xml', { method: 'POST', type: 'text/xml', body: autodiscoverRequestXml(other) }),
    await get(`/autoconfig/mail.mobileconfig?emailaddress=${encodeURIComponent(other)}`),
  ];
  for (const answer of answers) {
    assert.equal(answer.status, 404, answer.body);
    const body = JSON.parse(answer.body) as { error: string; message: string };
    assert.equal(body.error, 'unknown-domain');
    assert.match(body.message, /elsewhere\.test is not a sending domain of this server/);
    assert.match(body.message, /hikyaku domain add elsewhere\.test/);
  }
  const notAnAddress = await get('/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=nobody');
  assert.equal(notAnAddress.status, 400);
});
