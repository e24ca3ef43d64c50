// Table tests of the From patterns: exact addresses and `*@domain`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSenderPattern, senderAllowed } from './sender-patterns.js';

test('senderAllowed: exact addresses and whole domains, case-insensitive, no subdomains', () => {
  const patterns = ['info@example.com', '*@shop.example'];
  const rows: [string, boolean][] = [
    ['info@example.com', true],
    ['INFO@Example.COM', true],
    ['sales@example.com', false],
    ['info@example.com.evil', false],
    ['xinfo@example.com', false],
    ['anyone@shop.example', true],
    ['Anyone@SHOP.example', true],
    ['anyone@sub.shop.example', false], // subdomains are listed on their own
    ['anyone@evilshop.example', false],
    ['shop.example', false],
    ['@shop.example', false],
    ['', false], // the null reverse-path is the policy's business, never a pattern match
  ];
  for (const [address, allowed] of rows) assert.equal(senderAllowed(address, patterns), allowed, address);
  assert.equal(senderAllowed('info@example.com', []), false, 'an empty list allows nothing');
});

test('parseSenderPattern: stored lower-cased; wildcards only as *@domain', () => {
  const rows: [string, string | undefined][] = [
    ['info@example.com', 'info@example.com'],
    [' Info@Example.COM ', 'info@example.com'],
    ['*@Example.com', '*@example.com'],
    ['*@例え.jp', '*@例え.jp'],
    ['*', undefined],
    ['*@*', undefined],
    ['*@', undefined],
    ['a*@example.com', undefined],
    ['info@*.example.com', undefined],
    ['example.com', undefined],
    ['info@localhost', undefined],
    ['in fo@example.com', undefined],
    ['', undefined],
  ];
  for (const [text, stored] of rows) assert.equal(parseSenderPattern(text), stored, text);
});
