import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markedBulk, withoutBulkMarker } from '../message/bulk-marker.js';
import { addListUnsubscribe } from './list-unsubscribe.js';

const m = (s: string): Buffer => Buffer.from(s, 'latin1');

test('the marker is found in any case and with yes/true/1, not with no', () => {
  assert.equal(markedBulk(m('From: a@b\r\nX-Hikyaku-Bulk: yes\r\n\r\nx\r\n')), true);
  assert.equal(markedBulk(m('From: a@b\r\nx-hikyaku-bulk:  TRUE \r\n\r\nx\r\n')), true);
  assert.equal(markedBulk(m('From: a@b\r\nX-Hikyaku-Bulk: no\r\n\r\nx\r\n')), false);
  assert.equal(markedBulk(m('From: a@b\r\n\r\nX-Hikyaku-Bulk: yes\r\n')), false, 'a body line is not a field');
});

test('the fields are added at the top and the marker removed, folded marker included; the body is untouched', () => {
  const r = addListUnsubscribe(m('From: a@b\r\nX-Hikyaku-Bulk: yes\r\n  folded\r\nSubject: s\r\n\r\nX-Hikyaku-Bulk: yes\r\n'), 'https://mail.example.com/unsubscribe/T.K');
  assert.equal(r.added, true);
  assert.equal(
    r.message.toString('latin1'),
    'List-Unsubscribe: <https://mail.example.com/unsubscribe/T.K>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nFrom: a@b\r\nSubject: s\r\n\r\nX-Hikyaku-Bulk: yes\r\n',
  );
});

test("a message with its own List-Unsubscribe keeps it and gets no second one", () => {
  const r = addListUnsubscribe(m('List-Unsubscribe: <mailto:leave@app.example>\r\nX-Hikyaku-Bulk: 1\r\nFrom: a@b\r\n\r\nhi\r\n'), 'https://x/unsubscribe/T');
  assert.equal(r.added, false);
  assert.equal(r.message.toString('latin1'), 'List-Unsubscribe: <mailto:leave@app.example>\r\nFrom: a@b\r\n\r\nhi\r\n');
});

test('withoutBulkMarker removes every marker field and nothing else', () => {
  assert.equal(withoutBulkMarker(m('X-Hikyaku-Bulk: yes\r\nFrom: a@b\r\nX-Hikyaku-Bulk: yes\r\n\r\nhi\r\n')).toString('latin1'), 'From: a@b\r\n\r\nhi\r\n');
  const plain = m('From: a@b\r\n\r\nhi\r\n');
  assert.equal(withoutBulkMarker(plain), plain);
});
