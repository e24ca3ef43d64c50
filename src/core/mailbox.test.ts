// Table tests of the one address parser (RFC 5321 §4.1.2 Mailbox, RFC 6531),
// with examples from RFC 5321, RFC 5322 §3.4.1 / Appendix A, RFC 3696 §3 and
// the legacy Japanese carrier addresses, then wireMailbox and mailboxKey.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoutableAddress, normalizeAddress } from './address.js';
import { localPartForm, mailboxKey, parseMailbox, wireMailbox, type LocalPartForm } from './mailbox.js';

// [text, unquoted local part, stored address, form]
const VALID: [string, string, string, LocalPartForm][] = [
  ['user@example.com', 'user', 'user@example.com', 'dot-string'],
  ['User.Name@Example.COM', 'User.Name', 'User.Name@example.com', 'dot-string'],
  // RFC 5321 §4.1.1.3's example path, without its source route.
  ['JOE@THREE.test', 'JOE', 'JOE@three.test', 'dot-string'],
  // RFC 3696 §3: valid as written.
  ['"Abc@def"@example.com', 'Abc@def', '"Abc@def"@example.com', 'quoted-only'],
  ['"Fred Bloggs"@example.com', 'Fred Bloggs', '"Fred Bloggs"@example.com', 'quoted-only'],
  ['"Joe\\\\Blow"@example.com', 'Joe\\Blow', '"Joe\\\\Blow"@example.com', 'quoted-only'],
  ['customer/department=shipping@example.com', 'customer/department=shipping', 'customer/department=shipping@example.com', 'dot-string'],
  ['$A12345@example.com', '$A12345', '$A12345@example.com', 'dot-string'],
  ['!def!xyz%abc@example.com', '!def!xyz%abc', '!def!xyz%abc@example.com', 'dot-string'],
  ['_somename@example.com', '_somename', '_somename@example.com', 'dot-string'],
  // RFC 5322 §3.4.1 / Appendix A.1: plain addr-specs.
  ['john.q.public@example.com', 'john.q.public', 'john.q.public@example.com', 'dot-string'],
  ['mary@x.test', 'mary', 'mary@x.test', 'dot-string'],
  // RFC 5321 §4.1.2: quoted-pairSMTP; needless quoting is still the same mailbox.
  ['"taro"@example.com', 'taro', '"taro"@example.com', 'dot-string'],
  ['"a\\"b"@example.com', 'a"b', '"a\\"b"@example.com', 'quoted-only'],
  ['"a<b>c"@example.com', 'a<b>c', '"a<b>c"@example.com', 'quoted-only'],
  // RFC 5321 §4.1.3 address literals.
  ['postmaster@[192.0.2.1]', 'postmaster', 'postmaster@[192.0.2.1]', 'dot-string'],
  ['postmaster@[IPv6:2001:db8::1]', 'postmaster', 'postmaster@[ipv6:2001:db8::1]', 'dot-string'],
  // RFC 6531: UTF-8 in the local part and U-labels in the domain.
  ['ユーザー@例え.jp', 'ユーザー', 'ユーザー@例え.jp', 'dot-string'],
  ['"山田 太郎"@example.jp', '山田 太郎', '"山田 太郎"@example.jp', 'quoted-only'],
  ['user@xn--r8jz45g.jp', 'user', 'user@xn--r8jz45g.jp', 'dot-string'],
  // The legacy carrier forms: unquoted by our leniency, or quoted as RFC 5321 wants.
  ['taro..yamada@docomo.ne.jp', 'taro..yamada', 'taro..yamada@docomo.ne.jp', 'legacy-dots'],
  ['hanako.@ezweb.ne.jp', 'hanako.', 'hanako.@ezweb.ne.jp', 'legacy-dots'],
  ['.taro@docomo.ne.jp', '.taro', '.taro@docomo.ne.jp', 'legacy-dots'],
  ['"taro..yamada"@DoCoMo.ne.jp', 'taro..yamada', '"taro..yamada"@docomo.ne.jp', 'legacy-dots'],
  ['a'.repeat(64) + '@example.com', 'a'.repeat(64), 'a'.repeat(64) + '@example.com', 'dot-string'],
];

for (const [text, local, address, form] of VALID) {
  test(`parseMailbox accepts ${JSON.stringify(text)}`, () => {
    const parsed = parseMailbox(text);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problem);
    assert.equal(parsed.local, local);
    assert.equal(parsed.address, address);
    assert.equal(parsed.form, form);
    assert.equal(isRoutableAddress(text), true);
    assert.equal(normalizeAddress(text), address);
  });
}

const INVALID: [string, string][] = [
  ['', 'empty address'],
  ['x@@docomo.ne.jp', 'two "@" signs'],
  ['a@b@example.com', 'two "@" signs'],
  ['@docomo.ne.jp', 'empty local part'],
  ['""@example.com', 'empty local part'],
  ['taro yamada@docomo.ne.jp', 'space outside quotes'],
  ['taro@docomo .ne.jp', 'space outside quotes'],
  ['taro@', 'missing domain'],
  ['no-domain', 'no "@" sign'],
  ['"taro"', 'no "@" sign'],
  ['<a@example.com>', 'angle bracket in the address'],
  ['<<a@example.com>>', 'angle bracket in the address'],
  ['"taro@example.com', 'unbalanced quotes'],
  ['"taro\\"@example.com', 'unbalanced quotes'],
  ['"a"b@example.com', 'text after the closing quote'],
  // RFC 5322 §3.4.1 allows "a".b (obs-local-part) in messages; RFC 5321 paths do not.
  ['"a".b@example.com', 'text after the closing quote'],
  ['a"b"@example.com', 'quote inside an unquoted local part'],
  // RFC 3696 §3 shows these, but its erratum 246 says so: a backslash quotes only inside a quoted string.
  ['Abc\\@def@example.com', 'backslash outside quotes'],
  ['Fred\\ Bloggs@example.com', 'backslash outside quotes'],
  // RFC 5322 Appendix A.5: comments belong to messages, never to SMTP paths.
  ['pete(his account)@silly.test', 'character "(" outside quotes'],
  ['a,b@example.com', 'character "," outside quotes'],
  ['a\x00b@example.com', 'control character U+0000'],
  ['a@exa\x7fmple.com', 'control character U+007F'],
  ['"a\tb"@example.com', 'control character U+0009'],
  ['taro\r\nRCPT TO:<x@y.test>@example.com', 'control character U+000D'],
  ['...@docomo.ne.jp', 'local part has only dots'],
  ['a'.repeat(65) + '@example.com', 'local part longer than 64 octets'],
  ['あ'.repeat(22) + '@example.com', 'local part longer than 64 octets'],
  ['user@x', 'invalid domain "x"'],
  ['dave@localhost', 'invalid domain "localhost"'],
  ['user@example.com.', 'invalid domain "example.com."'],
  ['user@-example.com', 'invalid domain "-example.com"'],
  ['user@exa_mple.com', 'invalid domain "exa_mple.com"'],
  ['user@1.2.3.4', 'invalid domain "1.2.3.4"'],
  ['user@' + 'a'.repeat(64) + '.com', `invalid domain "${'a'.repeat(64)}.com"`],
  ['user@[1.2.3]', 'invalid address literal "[1.2.3]"'],
  ['user@[::1]', 'invalid address literal "[::1]"'],
  ['user@[ipv6:zz::1]', 'invalid address literal "[ipv6:zz::1]"'],
  ['user@' + 'abcdefghi.'.repeat(25) + 'com', `address longer than 254 octets`],
];

for (const [text, problem] of INVALID) {
  test(`parseMailbox refuses ${JSON.stringify(text)}: ${problem}`, () => {
    const parsed = parseMailbox(text);
    assert.equal(parsed.ok, false);
    assert.equal(parsed.ok ? '' : parsed.problem, problem);
    assert.equal(isRoutableAddress(text), false);
  });
}

// [stored address, what goes on the wire]
const WIRE: [string, string][] = [
  ['user@example.com', 'user@example.com'],
  ['taro..yamada@docomo.ne.jp', '"taro..yamada"@docomo.ne.jp'],
  ['hanako.@ezweb.ne.jp', '"hanako."@ezweb.ne.jp'],
  ['.taro@docomo.ne.jp', '".taro"@docomo.ne.jp'],
  ['"taro..yamada"@docomo.ne.jp', '"taro..yamada"@docomo.ne.jp'],
  // RFC 5321 §4.1.2: the minimum quoting possible.
  ['"taro"@example.com', 'taro@example.com'],
  ['"ta\\ro"@example.com', 'taro@example.com'],
  ['"Fred Bloggs"@example.com', '"Fred Bloggs"@example.com'],
  ['"a\\"b"@example.com', '"a\\"b"@example.com'],
  ['"Joe\\\\Blow"@example.com', '"Joe\\\\Blow"@example.com'],
  ['ユーザー@例え.jp', 'ユーザー@例え.jp'],
  ['User@Example.COM', 'User@example.com'],
  // Not an address: left alone (the caller refuses it).
  ['x@@y', 'x@@y'],
];

test('wireMailbox: a Dot-string as is, anything else quoted with \\ and " escaped', () => {
  for (const [stored, wire] of WIRE) assert.equal(wireMailbox(stored), wire, stored);
});

test('wireMailbox output parses back to the same mailbox', () => {
  for (const [stored] of WIRE.filter(([s]) => parseMailbox(s).ok)) {
    assert.equal(mailboxKey(wireMailbox(stored)), mailboxKey(stored), stored);
  }
});

// [address, key]
const KEYS: [string, string][] = [
  ['taro..yamada@docomo.ne.jp', 'taro..yamada@docomo.ne.jp'],
  ['"taro..yamada"@docomo.ne.jp', 'taro..yamada@docomo.ne.jp'],
  ['"taro..yamada"@DOCOMO.NE.JP', 'taro..yamada@docomo.ne.jp'],
  ['"taro"@example.com', 'taro@example.com'],
  ['"ta\\ro"@example.com', 'taro@example.com'],
  // RFC 5321 §2.4: the local part keeps its case.
  ['Taro@Example.com', 'Taro@example.com'],
  ['"Fred Bloggs"@example.com', 'Fred Bloggs@example.com'],
  // Unparseable text still gets a key.
  ['no-at-sign', 'no-at-sign'],
  ['"x"@Bad_Domain', 'x@bad_domain'],
];

test('mailboxKey: one mailbox, one key', () => {
  for (const [address, key] of KEYS) assert.equal(mailboxKey(address), key, address);
  assert.equal(mailboxKey('taro..yamada@docomo.ne.jp'), mailboxKey('"taro..yamada"@docomo.ne.jp'));
});

test('localPartForm: dots in place, misplaced dots, or characters that need quotes', () => {
  const cases: [string, LocalPartForm][] = [
    ['a.b', 'dot-string'],
    ['a..b', 'legacy-dots'],
    ['.a', 'legacy-dots'],
    ['a.', 'legacy-dots'],
    ['a b', 'quoted-only'],
    ['a..b c', 'quoted-only'],
    ['', 'quoted-only'],
  ];
  for (const [local, form] of cases) assert.equal(localPartForm(local), form, local);
});
