import assert from 'node:assert/strict';
import { test } from 'node:test';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { firstAddressOf, headerFromAddress, scannedFromAddress } from './from-address.js';
import { scanHeader } from './header-block.js';
import { randomSource } from '../../test/helpers/seeded-random.js';

/** What firstAddressOf must always return: nodemailer's reading of the value. */
function byAddressparser(value: string): string | undefined {
  return addressparser(value, { flatten: true })
    .find((a) => a.address.includes('@'))
    ?.address.trim();
}

test('the common forms', () => {
  assert.equal(firstAddressOf('alice@example.com'), 'alice@example.com');
  assert.equal(firstAddressOf('<alice@example.com>'), 'alice@example.com');
  assert.equal(firstAddressOf('Alice Example <alice@example.com>'), 'alice@example.com');
  assert.equal(firstAddressOf('=?UTF-8?B?5bGx55Sw?= <taro@example.jp>'), 'taro@example.jp');
  assert.equal(firstAddressOf('山田 太郎 <taro@example.jp>'), 'taro@example.jp');
  assert.equal(firstAddressOf('"Doe, Jane" <jane@example.org>'), 'jane@example.org');
  assert.equal(firstAddressOf('Jane (work) <jane@example.net> (comment)'), 'jane@example.net');
  assert.equal(firstAddressOf('a@first.example, b@second.example'), 'a@first.example');
  assert.equal(firstAddressOf('undisclosed-recipients:;'), undefined);
  assert.equal(firstAddressOf('no address here'), undefined);
  assert.equal(firstAddressOf('ö@shop.example'), 'ö@shop.example');
});

test('generated From values: the same address as nodemailer addressparser', () => {
  // Mostly plain pieces, so that many values have one of the simple forms,
  // with now and then a character that matters to addressparser.
  const plainName = ['Alice', 'Example', ' ', 'é', '山田', '=?UTF-8?B?5bGx?=', '@', '.', "'", '[', ']'];
  const plainAddr = ['a', 'b.c', '-', '+', "'", 'example.com', '.', '~', '{', '}', '/', '=', '?'];
  const special = ['"', '(', ')', ',', ':', ';', '<', '>', '@', '\\', ' ', '\t', '\u3000', '\u00a0', '\x01', '\x7f', 'é', '[', ']'];
  const random = randomSource(3);
  const pick = (plain: string[], max: number): string => {
    let s = '';
    for (let i = random(max); i > 0; i--) s += random(10) < 8 ? plain[random(plain.length)] : special[random(special.length)];
    return s;
  };
  const addr = (): string => `${pick(plainAddr, 4)}@${pick(plainAddr, 4)}`;
  const shapes = [
    () => addr(),
    () => `${pick(plainName, 5)}<${addr()}>`,
    () => `${pick(plainName, 5)} <${addr()}>${pick([' ', '(c)', ',', 'x'], 2)}`,
    () => `${pick(plainName, 3)}${pick(special, 3)}${pick(plainName, 3)} <${addr()}>`,
    () => pick([...plainName, ...plainAddr], 12),
  ];
  let simple = 0;
  for (let round = 0; round < 20000; round++) {
    const shape = shapes[random(shapes.length)] as () => string;
    const value = shape().trim(); // header values reach it unfolded and trimmed
    const expected = byAddressparser(value);
    assert.equal(firstAddressOf(value), expected, JSON.stringify(value));
    if (expected !== undefined && (value === expected || value.endsWith(`<${expected}>`))) simple++;
  }
  assert.ok(simple > 5000, `only ${simple} values of a simple form were generated`);
});

test('headerFromAddress and scannedFromAddress: first From field of the header block, folded or not', () => {
  const cases: [string, string | undefined][] = [
    ['From: Alice <alice@example.com>\r\n\r\nbody', 'alice@example.com'],
    ['Subject: x\r\nfrom:\r\n  folded@example.com\r\n\r\n', 'folded@example.com'],
    ['From: one@first.example\r\nFrom: two@second.example\r\n\r\n', 'one@first.example'],
    ['Subject: x\r\n\r\nFrom: in-body@example.com\r\n', undefined],
    ['\r\nFrom: in-body@example.com\r\n', undefined],
    ['From: only-headers@example.com', 'only-headers@example.com'],
  ];
  for (const [text, expected] of cases) {
    const message = Buffer.from(text);
    assert.equal(headerFromAddress(message), expected, text);
    assert.equal(scannedFromAddress(message, scanHeader(message)), expected, text);
  }
});

