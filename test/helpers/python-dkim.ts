// Debian's python3-dkim as an independent DKIM verifier for tests: its key
// lookups go to our test DNS server through dnspython.
import { spawn, spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';
const pythonDkim = spawnSync(PYTHON, ['-c', 'import dkim'], { stdio: 'ignore' }).status === 0;
export const skipPython = pythonDkim
  ? false
  : `Debian's python3-dkim is not installed (${PYTHON} -c 'import dkim' failed): apt-get install -y python3-dkim`;

// Verifies every DKIM-Signature (topmost first) of each message with python3-dkim, whose key
// lookups go to our DNS server through dnspython.
const VERIFY_PY = String.raw`
import sys, json, base64, dkim, dns.resolver
port = int(sys.argv[1])
resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = ['127.0.0.1']
resolver.port = port
def dnsfunc(name, timeout=5):
    qname = name.decode('ascii') if isinstance(name, bytes) else name
    try:
        answer = resolver.resolve(qname, 'TXT', lifetime=timeout)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    return b''.join(list(answer.rrset)[0].strings)
def verify_all(msg):
    count = len([h for h in dkim.DKIM(msg).headers if h[0].lower() == b'dkim-signature'])
    results = []
    for i in range(count):
        try:
            results.append({'ok': bool(dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc)), 'error': None})
        except Exception as e:
            results.append({'ok': False, 'error': repr(e)})
    return results
# Several messages per run: starting python and importing dkim costs most of the time.
messages = [base64.b64decode(m) for m in json.load(sys.stdin)]
print(json.dumps([verify_all(m) for m in messages]))
`;

export interface PyResult {
  ok: boolean;
  error: string | null;
}

// Asynchronous on purpose: the DNS server answering python runs in this process.
export function pythonVerify(messages: Buffer[], dnsPort: number): Promise<PyResult[][]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', VERIFY_PY, String(dnsPort)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python3 exited ${code}: ${stderr}`));
      resolve(JSON.parse(stdout) as PyResult[][]);
    });
    child.stdin.end(JSON.stringify(messages.map((m) => m.toString('base64'))));
  });
}

