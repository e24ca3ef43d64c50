// DKIM signing at acceptance (RFC 6376 §5), relaxed/relaxed, with one
// signature per active key: RSA-SHA256 always, plus Ed25519-SHA256 (RFC 8463)
// for domains that have an Ed25519 key, so receivers that know Ed25519 get
// the modern signature and the others still verify the RSA one.
//
// Why not mailauth's dkimSign: it decides h= from the headers present, so it
// cannot over-sign From (list it once more than it occurs, RFC 6376 §8.15),
// and it re-parses the PEM key for every message. The canonicalization
// here is checked against two independent verifiers in the tests
// (mailauth's and Debian's python3-dkim).
import { createHash, createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { domainToASCII } from 'node:url';
import type { Logger } from 'pino';
import type { DkimKey, DomainStore, SendingDomain } from '../domains/domain-store.js';
import { relaxedBodyHash, relaxedHeader } from './canonicalize.js';
import { headerFieldsOf, splitMessage, type HeaderField } from './header-fields.js';

export interface DkimSigner {
  /**
   * Prepends DKIM-Signature header(s) for the registered domain of
   * `fromDomain`; returns the input unchanged and domain undefined when no
   * registered domain matches (or it has no usable active key).
   */
  sign(message: Buffer, fromDomain: string): Promise<{ signed: Buffer; domain: string | undefined }>;
  /** The same for a sending domain already looked up (intake does it once per message). */
  signWith(message: Buffer, domain: SendingDomain | undefined): Promise<{ signed: Buffer; domain: string | undefined }>;
}

/**
 * Header fields signed when present (RFC 6376 §5.4.1 recommends the ones a
 * reader sees and the MIME ones that change how the body is shown).
 * Trace and transport fields (Received, Return-Path) are not signed: relays add them.
 */
const SIGNED_FIELDS = [
  'from',
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'reply-to',
  'in-reply-to',
  'references',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'list-unsubscribe',
  'list-unsubscribe-post',
] as const;

/**
 * Listed once more in h= than they occur: a name in h= with no remaining
 * instance signs "nothing", so a verifier fails if one is added later
 * (RFC 6376 §5.4.2, §8.15). From decides DMARC alignment, so it matters most.
 */
const OVERSIGNED_FIELDS: ReadonlySet<string> = new Set(['from']);

export function createDkimSigner(store: DomainStore, logger: Logger): DkimSigner {
  // Parsed private keys, per stored key object: the store hands out the same
  // frozen object until the domain's file changes, so this cache lives
  // exactly as long as the key does.
  const keyObjects = new WeakMap<DkimKey, KeyObject>();
  const keyObjectFor = (key: DkimKey): KeyObject => {
    let k = keyObjects.get(key);
    if (!k) {
      k = createPrivateKey(key.privateKeyPem);
      keyObjects.set(key, k);
    }
    return k;
  };

  const signer: DkimSigner = {
    async sign(message, fromDomain) {
      let domain: SendingDomain | undefined;
      try {
        domain = store.findForFromDomain(fromDomain);
      } catch (err) {
        logger.error({ err, fromDomain }, 'cannot read sending domain: message not DKIM-signed');
        return { signed: message, domain: undefined };
      }
      return signer.signWith(message, domain);
    },

    async signWith(message, domain) {
      if (!domain) return { signed: message, domain: undefined };
      const keys = signingKeys(domain);
      if (keys.length === 0) {
        logger.warn({ domain: domain.name }, 'sending domain has no active DKIM key: message not signed');
        return { signed: message, domain: undefined };
      }

      const { fields, body } = splitMessage(message);
      // RFC 6376 §5.4: the From field MUST be signed; without one there is nothing to sign for.
      if (!fields.some((f) => f.name === 'from')) {
        logger.warn({ domain: domain.name }, 'message has no From header field: not DKIM-signed');
        return { signed: message, domain: undefined };
      }
      const bodyHash = relaxedBodyHash(body);
      const { names, canonical } = signedHeaderData(fields);
      const timestamp = Math.floor(Date.now() / 1000);

      const signed = await Promise.all(
        keys.map((key) =>
          signatureField(domain.name, key, keyObjectFor(key), names, canonical, bodyHash, timestamp).catch((err: unknown) => {
            logger.error({ err, domain: domain.name, selector: key.selector }, 'DKIM signing with this key failed');
            return undefined;
          }),
        ),
      );
      const headers = signed.filter((h): h is string => h !== undefined);
      if (headers.length === 0) return { signed: message, domain: undefined };
      return { signed: Buffer.concat([Buffer.from(headers.join(''), 'latin1'), message]), domain: domain.name };
    },
  };
  return signer;
}

/**
 * The keys that sign: the active ones, one per algorithm (the most recently
 * activated if a hand-edited file has several). Pending keys never sign:
 * their record may not be published yet (`domain rotate-key`); retiring
 * keys no longer do.
 */
export function signingKeys(domain: SendingDomain): DkimKey[] {
  const byAlgorithm = new Map<string, DkimKey>();
  for (const key of domain.keys) {
    if (key.state !== 'active') continue;
    const seen = byAlgorithm.get(key.algorithm);
    if (!seen || (key.activatedAtMs ?? key.createdAtMs) > (seen.activatedAtMs ?? seen.createdAtMs)) byAlgorithm.set(key.algorithm, key);
  }
  return [...byAlgorithm.values()];
}

/**
 * The h= list and the canonicalized header data it stands for. Several
 * instances of a name are signed from the bottom up (RFC 6376 §5.4.2).
 */
function signedHeaderData(fields: readonly HeaderField[]): { names: string[]; canonical: string } {
  const names: string[] = [];
  let canonical = '';
  for (const name of SIGNED_FIELDS) {
    const instances = fields.filter((f) => f.name === name);
    if (instances.length === 0) continue;
    for (let i = instances.length - 1; i >= 0; i--) {
      names.push(name);
      canonical += relaxedHeader((instances[i] as HeaderField).raw);
    }
    // The extra name contributes no data: the verifier finds no instance left.
    if (OVERSIGNED_FIELDS.has(name)) names.push(name);
  }
  return { names, canonical };
}

/** A complete, folded "DKIM-Signature: …\r\n" field (latin1). */
async function signatureField(
  domainName: string,
  key: DkimKey,
  privateKey: KeyObject,
  names: readonly string[],
  canonicalHeaders: string,
  bodyHash: string,
  timestamp: number,
): Promise<string> {
  // Folded by hand so that what is hashed is exactly what is sent; b= comes
  // last and is hashed empty (RFC 6376 §3.5, b= tag; §3.7 step 2).
  const lines = [
    `DKIM-Signature: v=1; a=${key.algorithm}; c=relaxed/relaxed; d=${domainName};`,
    ` s=${key.selector}; t=${timestamp};`,
    ...foldList(' h=', names, ':', ';'),
    ` bh=${bodyHash};`,
    ' b=',
  ];
  const unsigned = lines.join('\r\n');
  const data = Buffer.from(canonicalHeaders + relaxedHeader(unsigned).slice(0, -2), 'latin1');
  const signature =
    key.algorithm === 'rsa-sha256'
      ? await signInPool('sha256', data, privateKey)
      : // RFC 8463 §3: Ed25519 (PureEdDSA) signs the SHA-256 hash of the data.
        await signInPool(null, createHash('sha256').update(data).digest(), privateKey);
  return unsigned + foldBase64(signature.toString('base64')) + '\r\n';
}

/**
 * crypto.sign with a callback runs in libuv's thread pool: an RSA-2048
 * signature costs about 1.3 ms of CPU, which on the event loop would halve
 * the acceptance rate; in the pool it uses the other core.
 */
function signInPool(algorithm: string | null, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => cryptoSign(algorithm, data, key, (err, signature) => (err ? reject(err) : resolve(signature))));
}

/** `prefix` + items joined by `sep`, folded before lines pass 78 characters (RFC 5322 §2.1.1). */
function foldList(prefix: string, items: readonly string[], sep: string, end: string): string[] {
  const out: string[] = [];
  let line = prefix;
  items.forEach((item, i) => {
    const piece = item + (i < items.length - 1 ? sep : end);
    if (line.length + piece.length > 76 && line.trim() !== prefix.trim()) {
      out.push(line);
      line = ' ';
    }
    line += piece;
  });
  out.push(line);
  return out;
}

// FWS inside the b= value is ignored by verifiers (RFC 6376 §3.5).
function foldBase64(b64: string): string {
  const first = b64.slice(0, 72);
  const rest = b64.slice(72).match(/.{1,76}/g) ?? [];
  return [first, ...rest].join('\r\n ');
}


export { headerFromDomain } from '../message/from-address.js';
