// A real HTTPS server for MTA-STS policy files (RFC 8461 §3.3), on a
// loopback address with a test certificate: what a receiving domain runs at
// https://mta-sts.DOMAIN/.well-known/mta-sts.txt. The body can be changed
// while it runs; requests are counted.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface PolicyServer {
  readonly host: string;
  readonly port: number;
  /** GET requests for the policy so far. */
  readonly requests: number;
  /** The policy file served; undefined = 404. */
  policy: string | undefined;
  close(): Promise<void>;
}

export async function startPolicyServer(options: { host: string; key: string; cert: string; policy: string | undefined }): Promise<PolicyServer> {
  let requests = 0;
  const state = { policy: options.policy };
  const server = createServer({ key: options.key, cert: options.cert }, (req, res) => {
    if (req.url !== '/.well-known/mta-sts.txt' || state.policy === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    requests++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(state.policy);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: options.host,
    port,
    get requests() {
      return requests;
    },
    get policy() {
      return state.policy;
    },
    set policy(value) {
      state.policy = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
