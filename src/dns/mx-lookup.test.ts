// lookupMx against the test DNS server over real UDP/TCP: the resolver is
// Node's own, pointed at 127.0.0.1:PORT, nothing stubbed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../../test/helpers/dns-server.js';
import { classifyDnsError, createResolver } from './resolver.js';
import { lookupMx, type MxLookup } from './mx-lookup.js';

function hostsOf(result: MxLookup): { host: string; preference: number; addresses: readonly string[] }[] {
  assert.equal(result.kind, 'hosts', JSON.stringify(result));
  return result.kind === 'hosts' ? result.hosts.map((h) => ({ ...h })) : [];
}

describe('lookupMx', () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer({
      'two.test': {
        MX: [
          { preference: 20, exchange: 'backup.two.test' },
          { preference: 10, exchange: 'primary.two.test' },
        ],
      },
      'primary.two.test': { A: ['127.0.0.2'], AAAA: ['::1'] },
      'backup.two.test': { A: ['127.0.0.3'] },

      'equal.test': {
        MX: [
          { preference: 10, exchange: 'a.equal.test' },
          { preference: 10, exchange: 'b.equal.test' },
          { preference: 5, exchange: 'first.equal.test' },
        ],
      },
      'a.equal.test': { A: ['127.0.0.4'] },
      'b.equal.test': { A: ['127.0.0.5'] },
      'first.equal.test': { A: ['127.0.0.6'] },

      'implicit.test': { A: ['127.0.0.7'], AAAA: ['::1'], TXT: ['v=spf1 -all'] },
      'nullmx.test': { MX: [{ preference: 0, exchange: '.' }], A: ['127.0.0.8'] },
      'nothing.test': { TXT: ['v=spf1 -all'] },
      'self.test': { MX: [{ preference: 10, exchange: 'self.test' }], A: ['127.0.0.9'] },

      'partial.test': {
        MX: [
          { preference: 10, exchange: 'ghost.partial.test' },
          { preference: 20, exchange: 'noaddr.partial.test' },
          { preference: 30, exchange: 'real.partial.test' },
        ],
      },
      'noaddr.partial.test': { TXT: ['I have no address'] },
      'real.partial.test': { A: ['127.0.0.10'] },

      'dead.test': {
        MX: [
          { preference: 10, exchange: 'ghost.dead.test' },
          { preference: 20, exchange: 'noaddr.dead.test' },
        ],
      },
      'noaddr.dead.test': { TXT: ['x'] },

      'flaky.test': {
        MX: [
          { preference: 10, exchange: 'slow.flaky.test' },
          { preference: 20, exchange: 'ghost.flaky.test' },
        ],
      },
      'slow.flaky.test': { A: ['127.0.0.11'] },

      'servfail.test': { MX: [{ preference: 10, exchange: 'mx.servfail.test' }] },
      'timeout.test': { MX: [{ preference: 10, exchange: 'mx.timeout.test' }] },
      'ipmx.test': {
        MX: [
          { preference: 5, exchange: '127.0.0.12' },
          { preference: 10, exchange: 'mx.ipmx.test' },
        ],
      },
      'mx.ipmx.test': { A: ['127.0.0.13'] },
      'cname.test': { MX: [{ preference: 10, exchange: 'alias.cname.test' }] },
      'alias.cname.test': { CNAME: 'target.cname.test' },
      'target.cname.test': { A: ['127.0.0.14'] },
      'xn--w8je7hxc.test': { A: ['127.0.0.15'] },
    });
    dns.setBehaviour('servfail.test', 'servfail');
    dns.setBehaviour('timeout.test', 'timeout');
    dns.setBehaviour('slow.flaky.test', 'timeout');
  });
  after(() => dns.close());

  // Short timeout, one try: the timeout cases must not slow the suite down.
  const resolver = () => createResolver({ servers: [dns.address], timeoutMs: 150, tries: 1 });

  it('orders two MX hosts by preference, with IPv4 before IPv6', async () => {
    const hosts = hostsOf(await lookupMx(resolver(), 'two.test'));
    assert.deepEqual(hosts, [
      { host: 'primary.two.test', preference: 10, addresses: ['127.0.0.2', '::1'] },
      { host: 'backup.two.test', preference: 20, addresses: ['127.0.0.3'] },
    ]);
  });

  it('keeps both hosts of equal preference and shuffles them', async () => {
    const r = resolver();
    const orders = new Set<string>();
    // Each order has probability 1/2 per lookup: 40 lookups all alike is ~2e-12.
    for (let i = 0; i < 40 && orders.size < 2; i++) {
      const hosts = hostsOf(await lookupMx(r, 'equal.test'));
      assert.equal(hosts.length, 3);
      assert.equal(hosts[0]?.host, 'first.equal.test');
      assert.deepEqual(hosts.slice(1).map((h) => h.host).sort(), ['a.equal.test', 'b.equal.test']);
      orders.add(hosts.map((h) => h.host).join(','));
    }
    assert.equal(orders.size, 2);
  });

  it('falls back to the domain A/AAAA when there is no MX (implicit MX)', async () => {
    const result = await lookupMx(resolver(), 'Implicit.Test.');
    assert.equal(result.kind === 'hosts' && result.implicit, true);
    assert.deepEqual(hostsOf(result), [{ host: 'implicit.test', preference: 0, addresses: ['127.0.0.7', '::1'] }]);
  });

  it('recognises a null MX and looks up no address for it', async () => {
    const before = dns.queries.length;
    assert.deepEqual(await lookupMx(resolver(), 'nullmx.test'), { kind: 'null-mx' });
    const asked = dns.queries.slice(before);
    assert.deepEqual(asked.map((q) => `${q.name}/${q.type}`), ['nullmx.test/MX']);
  });

  it('reports NXDOMAIN for a domain that does not exist', async () => {
    const result = await lookupMx(resolver(), 'no-such-domain.test');
    assert.equal(result.kind, 'nxdomain');
    assert.match(result.kind === 'nxdomain' ? result.detail : '', /no-such-domain\.test/);
  });

  it('reports no-route for a domain without MX and without addresses', async () => {
    const result = await lookupMx(resolver(), 'nothing.test');
    assert.equal(result.kind, 'no-route');
  });

  it('treats SERVFAIL and timeouts as temporary', async () => {
    const r = resolver();
    const servfail = await lookupMx(r, 'servfail.test');
    assert.equal(servfail.kind, 'temporary');
    assert.match(servfail.kind === 'temporary' ? servfail.detail : '', /ESERVFAIL/);
    const timeout = await lookupMx(r, 'timeout.test');
    assert.equal(timeout.kind, 'temporary');
    assert.match(timeout.kind === 'temporary' ? timeout.detail : '', /ETIMEOUT/);
  });

  it('skips MX hosts without an address and uses the rest', async () => {
    const result = await lookupMx(resolver(), 'partial.test');
    assert.deepEqual(hostsOf(result), [{ host: 'real.partial.test', preference: 30, addresses: ['127.0.0.10'] }]);
    assert.equal(result.kind === 'hosts' ? result.skipped?.length : -1, 2);
  });

  it('bounces (no-route) when every MX host is permanently without address', async () => {
    const result = await lookupMx(resolver(), 'dead.test');
    assert.equal(result.kind, 'no-route');
    assert.match(result.kind === 'no-route' ? result.detail : '', /ghost\.dead\.test.*NXDOMAIN/);
  });

  it('defers when no MX host resolved and one of them failed temporarily', async () => {
    const result = await lookupMx(resolver(), 'flaky.test');
    assert.equal(result.kind, 'temporary');
  });

  it('works when the MX points at the domain itself, and follows CNAMEs of MX hosts', async () => {
    assert.deepEqual(hostsOf(await lookupMx(resolver(), 'self.test')), [
      { host: 'self.test', preference: 10, addresses: ['127.0.0.9'] },
    ]);
    assert.deepEqual(hostsOf(await lookupMx(resolver(), 'cname.test')), [
      { host: 'alias.cname.test', preference: 10, addresses: ['127.0.0.14'] },
    ]);
  });

  it('skips an MX that is an IP address instead of a host name', async () => {
    assert.deepEqual(hostsOf(await lookupMx(resolver(), 'ipmx.test')), [
      { host: 'mx.ipmx.test', preference: 10, addresses: ['127.0.0.13'] },
    ]);
  });

  it('delivers to a domain literal directly, without DNS', async () => {
    const before = dns.queries.length;
    assert.deepEqual(hostsOf(await lookupMx(resolver(), '[127.0.0.2]')), [
      { host: '127.0.0.2', preference: 0, addresses: ['127.0.0.2'] },
    ]);
    assert.deepEqual(hostsOf(await lookupMx(resolver(), '[IPv6:::1]')), [{ host: '::1', preference: 0, addresses: ['::1'] }]);
    assert.equal((await lookupMx(resolver(), '[not-an-ip]')).kind, 'no-route');
    assert.equal(dns.queries.length, before);
  });

  it('looks up an internationalised domain in its A-label form', async () => {
    const before = dns.queries.length;
    // 'xn--w8je7hxc' is the A-label of 'ひきゃく'.
    const hosts = hostsOf(await lookupMx(resolver(), 'ひきゃく.test'));
    assert.deepEqual(hosts, [{ host: 'xn--w8je7hxc.test', preference: 0, addresses: ['127.0.0.15'] }]);
    assert.equal(dns.queries[before]?.name, 'xn--w8je7hxc.test');
  });
});

describe('createResolver', () => {
  it('uses the given servers and refuses bad ones', () => {
    const r = createResolver({ servers: ['127.0.0.1:5353', '192.0.2.1'], timeoutMs: 1000 });
    assert.deepEqual(r.getServers(), ['127.0.0.1:5353', '192.0.2.1']);
    assert.throws(() => createResolver({ servers: ['not an ip'], timeoutMs: 1000 }));
    assert.throws(() => createResolver({ servers: [], timeoutMs: 0 }));
  });

  it('classifies resolver errors', () => {
    assert.equal(classifyDnsError(Object.assign(new Error('x'), { code: 'ENOTFOUND' })), 'nxdomain');
    assert.equal(classifyDnsError(Object.assign(new Error('x'), { code: 'ENODATA' })), 'nodata');
    assert.equal(classifyDnsError(Object.assign(new Error('x'), { code: 'ETIMEOUT' })), 'temporary');
    assert.equal(classifyDnsError(Object.assign(new Error('x'), { code: 'ESERVFAIL' })), 'temporary');
  });
});
