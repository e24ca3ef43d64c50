// An authenticated submitter over TLS, as tests of the stamped headers use it.
import type { Submitter } from '../../src/core/envelope.js';

export const tlsSubmitter: Submitter = {
  clientIp: '::ffff:192.0.2.10',
  clientHostname: 'client.example.net',
  helo: 'laptop.example.net',
  user: 'alice@example.com',
  protocol: 'ESMTPSA',
  tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
  via: 'submission',
};
