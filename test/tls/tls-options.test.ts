// The listeners' TLS settings, checked with real handshakes on loopback.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type ConnectionOptions, type Server } from 'node:tls';
import { serverTlsOptions } from '../../src/tls/tls-options.js';
import type { TlsConfig } from '../../src/config/types.js';
import { makeTestCertificate, type TestCertificate } from '../helpers/certs.js';

let certificate: TestCertificate;
before(async () => {
  certificate = await makeTestCertificate(['mail.example.test']);
});

async function startServer(t: { after: (fn: () => Promise<void>) => void }, config: TlsConfig): Promise<number> {
  const server: Server = createServer(serverTlsOptions(config, certificate), (socket) => socket.end('hello\n'));
  // A refused handshake surfaces on the server as a tlsClientError: expected here.
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.close();
    await once(server, 'close');
  });
  return (server.address() as AddressInfo).port;
}

/** Handshake; resolves with the negotiated protocol and cipher, or the error. */
function handshake(port: number, options: ConnectionOptions): Promise<{ protocol: string | null; cipher: string } | Error> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'mail.example.test', ca: certificate.cert, ...options }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.destroy();
      resolve(result);
    });
    socket.on('error', (err) => resolve(err));
  });
}

const config: TlsConfig = { certFile: undefined, keyFile: undefined, minVersion: 'TLSv1.2' };

test('TLS 1.3 is offered, and TLS 1.2 with a forward-secret AEAD suite', async (t) => {
  const port = await startServer(t, config);
  const modern = await handshake(port, {});
  assert.ok(!(modern instanceof Error), String(modern));
  assert.equal(modern.protocol, 'TLSv1.3');

  const tls12 = await handshake(port, { maxVersion: 'TLSv1.2' });
  assert.ok(!(tls12 instanceof Error), String(tls12));
  assert.equal(tls12.protocol, 'TLSv1.2');
  assert.match(tls12.cipher, /^ECDHE-RSA-(AES\d+-GCM|CHACHA20-POLY1305)/);
});

test('suites without forward secrecy are refused', async (t) => {
  const port = await startServer(t, config);
  const result = await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256:AES256-SHA' });
  assert.ok(result instanceof Error, 'handshake should fail');
});

test('minVersion TLSv1.3 refuses a TLS 1.2 client', async (t) => {
  const port = await startServer(t, { ...config, minVersion: 'TLSv1.3' });
  assert.ok((await handshake(port, { maxVersion: 'TLSv1.2' })) instanceof Error);
  const ok = await handshake(port, {});
  assert.ok(!(ok instanceof Error) && ok.protocol === 'TLSv1.3');
});
