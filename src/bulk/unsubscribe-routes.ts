// The page behind a one-click unsubscribe link, on the HTTP listener:
// POST /unsubscribe/TOKEN is the one-click request a mailbox provider sends
// for its user (RFC 8058 §3.2; "List-Unsubscribe=One-Click" in a form body,
// which is not needed: the POST to a genuine link is the request), and what
// the button on the GET page sends. GET only shows that page: link scanners
// and previews fetch links, and must never unsubscribe anyone.
//
// The recipient joins the suppression list of the sending domain named in
// the token, for good (an admin can remove the entry): the same list that
// refuses hard-bounced addresses at RCPT, so the next message to them from
// that domain is refused before it is queued.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { UNSUBSCRIBED_REASON } from '../core/replies.js';
import type { Logger } from '../log/logger.js';
import type { UnsubscribeSubject, UnsubscribeTokens } from './unsubscribe-token.js';

export interface UnsubscribeRoutesOptions {
  readonly tokens: UnsubscribeTokens;
  /** Adds the recipient to the sending domain's suppression list. */
  readonly unsubscribe: (subject: UnsubscribeSubject, reason: string) => void;
  readonly logger: Logger;
}

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

export async function registerUnsubscribeRoutes(app: FastifyInstance, options: UnsubscribeRoutesOptions): Promise<void> {
  await app.register(async (scope) => {
    // The body says nothing the token does not: read it as text, bounded, and ignore it.
    scope.addContentTypeParser(FORM_TYPES, { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => done(null, body));
    const params = { type: 'object', properties: { token: { type: 'string', maxLength: 2048 } }, required: ['token'] } as const;

    scope.get<{ Params: { token: string } }>('/unsubscribe/:token', { schema: { params, hide: true } }, async (request, reply) => {
      const subject = options.tokens.verify(request.params.token);
      if (subject === undefined) return page(reply, 400, invalidLink());
      return page(reply, 200, confirmation(subject, request.params.token));
    });

    scope.post<{ Params: { token: string } }>('/unsubscribe/:token', { schema: { params, hide: true } }, async (request, reply) => {
      const subject = options.tokens.verify(request.params.token);
      if (subject === undefined) {
        options.logger.info({ event: 'unsubscribe-refused', clientIp: request.ip }, 'unsubscribe link with a token this server did not make');
        return page(reply, 400, invalidLink());
      }
      try {
        options.unsubscribe(subject, `${UNSUBSCRIBED_REASON} with the one-click link (RFC 8058) from ${request.ip}`);
      } catch (err) {
        options.logger.error({ err, sendingDomain: subject.sendingDomain }, 'could not record an unsubscribe');
        return page(reply, 503, { title: '一時的なエラー / Temporary error', body: '<p>もう一度お試しください。</p><p lang="en">Please try again in a moment.</p>' });
      }
      options.logger.info({ event: 'unsubscribed', sendingDomain: subject.sendingDomain, rcptTo: subject.recipient }, 'recipient unsubscribed: added to the suppression list');
      return page(reply, 200, done(subject));
    });
  });
}

interface Page {
  readonly title: string;
  readonly body: string;
}

function page(reply: FastifyReply, status: number, p: Page): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .header('referrer-policy', 'no-referrer')
    .send(
      `<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<meta name="robots" content="noindex"><title>${escapeHtml(p.title)}</title>` +
        `<style>body{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.6}button{font-size:1rem;padding:.5rem 1.5rem}</style>` +
        `</head><body><h1>${escapeHtml(p.title)}</h1>${p.body}</body></html>`,
    );
}

function confirmation(s: UnsubscribeSubject, token: string): Page {
  const who = escapeHtml(s.recipient);
  const from = escapeHtml(s.sendingDomain);
  return {
    title: '配信停止 / Unsubscribe',
    body:
      `<p>${who} 宛ての ${from} からのメールを停止しますか？</p>` +
      `<p lang="en">Stop mail from ${from} to ${who}?</p>` +
      `<form method="post" action="/unsubscribe/${encodeURIComponent(token)}">` +
      `<input type="hidden" name="List-Unsubscribe" value="One-Click">` +
      `<button type="submit">配信を停止する / Unsubscribe</button></form>`,
  };
}

function done(s: UnsubscribeSubject): Page {
  const who = escapeHtml(s.recipient);
  const from = escapeHtml(s.sendingDomain);
  return {
    title: '配信を停止しました / Unsubscribed',
    body: `<p>${who} 宛てに ${from} からメールが送られることはもうありません。</p><p lang="en">${who} will get no more mail from ${from}.</p>`,
  };
}

function invalidLink(): Page {
  return {
    title: '無効なリンク / Invalid link',
    body:
      '<p>この配信停止リンクは正しくありません (途中で切れているか、書き換えられています)。メールの配信停止リンクをそのまま開いてください。</p>' +
      '<p lang="en">This unsubscribe link is not valid (cut short or altered). Open the link from the message as it is.</p>',
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
