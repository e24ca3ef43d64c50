import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDomainSpec, isLookupTerm, isSpfRecord, parseSpf } from './spf-parse.js';

const codes = (record: string): string[] => parseSpf(record).problems.map((p) => `${p.code}:${p.term}`);

test('RFC 7208 §4.5: an SPF record is "v=spf1" alone or followed by a space', () => {
  assert.equal(isSpfRecord('v=spf1 -all'), true);
  assert.equal(isSpfRecord('v=spf1'), true);
  assert.equal(isSpfRecord('V=SPF1 ~all'), true);
  assert.equal(isSpfRecord('v=spf10 -all'), false);
  assert.equal(isSpfRecord('google-site-verification=abc'), false);
});

test('well-formed records have no problems', () => {
  for (const record of [
    'v=spf1 -all',
    'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mx.example.com/24 include:_spf.google.com ~all',
    'v=spf1 a:example.com/24//64 exists:%{ir}.%{l1r+-}._spf.%{d} ?all',
    'v=spf1 redirect=_spf.example.com',
    'v=spf1 include:example.com exp=explain._spf.%{d} -all',
    'v=spf1 ra=postmaster -all',
  ]) {
    assert.deepEqual(codes(record), [], record);
  }
});

test('each mistake is named with its term', () => {
  assert.deepEqual(codes('v=spf1 inclde:_spf.google.com ~all'), ['unknown-mechanism:inclde:_spf.google.com']);
  assert.deepEqual(codes('v=spf1 ip4:192.0.2.300 -all'), ['bad-value:ip4:192.0.2.300']);
  assert.deepEqual(codes('v=spf1 ip4:192.0.2.0/33 -all'), ['bad-value:ip4:192.0.2.0/33']);
  assert.deepEqual(codes('v=spf1 ip4:192.0.2.0/024 -all'), ['bad-value:ip4:192.0.2.0/024']);
  assert.deepEqual(codes('v=spf1 ip6:192.0.2.1 -all'), ['bad-value:ip6:192.0.2.1']);
  assert.deepEqual(codes('v=spf1 include: -all'), ['bad-value:include:']);
  assert.deepEqual(codes('v=spf1 all:example.com'), ['bad-value:all:example.com']);
  assert.deepEqual(codes('v=spf1 redirect=a.example redirect=b.example'), ['duplicate-modifier:redirect=b.example']);
  assert.deepEqual(codes('v=spf1 -all foo=bar'), ['unknown-modifier:foo=bar']);
  assert.deepEqual(codes('v=spf1 ip4:192.0.2.1\u3000-all'), ['non-ascii:ip4:192.0.2.1\u3000-all']); // a full-width space
  assert.deepEqual(codes('spf1 -all'), ['version:spf1']);
});

test('legal but harmful terms are warnings', () => {
  const parsed = parseSpf('v=spf1 ptr -all ip4:192.0.2.1 redirect=other.example');
  assert.deepEqual(
    parsed.problems.map((p) => `${p.severity}:${p.code}`),
    ['warning:ptr-used', 'warning:after-all', 'warning:redirect-ignored'],
  );
});

test('qualifiers and values are read', () => {
  const { terms } = parseSpf('v=spf1 -ip4:192.0.2.1 ~include:a.example ?a mx redirect=b.example');
  assert.deepEqual(
    terms.map((t) => (t.kind === 'mechanism' ? `${t.qualifier}${t.name}=${t.value}` : `mod:${t.name}=${t.value}`)),
    ['-ip4=192.0.2.1', '~include=a.example', '?a=', '+mx=', 'mod:redirect=b.example'],
  );
});

test('RFC 7208 §4.6.4: lookup terms are include, a, mx, ptr, exists and redirect', () => {
  const { terms } = parseSpf('v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 a mx ptr exists:x.example include:y.example redirect=z.example exp=e.example all');
  assert.deepEqual(terms.filter(isLookupTerm).map((t) => t.name), ['a', 'mx', 'ptr', 'exists', 'include', 'redirect']);
});

test('domain-spec: host names and macros', () => {
  assert.equal(isDomainSpec('_spf.example.com'), true);
  assert.equal(isDomainSpec('example.com.'), true);
  assert.equal(isDomainSpec('%{i}._spf.%{d}'), true);
  assert.equal(isDomainSpec('example'), false);
  assert.equal(isDomainSpec('example..com'), false);
  assert.equal(isDomainSpec('192.0.2.1'), false);
  assert.equal(isDomainSpec('%{x}.example.com'), false);
});
