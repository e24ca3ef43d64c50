import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerFromDomain } from './signer.js';

const msg = (headers: string): Buffer => Buffer.from(`${headers}\r\n\r\nbody\r\n`, 'utf8');

test('headerFromDomain finds the domain of the first From address', () => {
  assert.equal(headerFromDomain(msg('From: user@Example.COM')), 'example.com');
  assert.equal(headerFromDomain(msg('Subject: x\r\nFROM: "Doe, Jane" <jane@Mail.Example.org>')), 'mail.example.org');
  assert.equal(headerFromDomain(msg('From: =?UTF-8?B?5bGx55Sw?= <taro@example.jp>')), 'example.jp');
  assert.equal(headerFromDomain(msg('From: Jane (work) <jane@example.net> (comment)')), 'example.net');
  assert.equal(headerFromDomain(msg('From: a@first.example, b@second.example')), 'first.example');
  assert.equal(headerFromDomain(msg('From:\r\n  folded@example.com')), 'example.com');
  assert.equal(headerFromDomain(msg('From: 山田 <taro@例え.jp>')), 'xn--r8jz45g.jp');
  assert.equal(headerFromDomain(msg('From: one@first.example\r\nFrom: two@second.example')), 'first.example');
});

test('headerFromDomain: no From, or no address in it', () => {
  assert.equal(headerFromDomain(msg('To: x@example.com')), undefined);
  assert.equal(headerFromDomain(msg('From: undisclosed')), undefined);
  // A From line in the body is not a header.
  assert.equal(headerFromDomain(Buffer.from('Subject: x\r\n\r\nFrom: a@b.example\r\n')), undefined);
});
