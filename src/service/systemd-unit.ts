// The systemd unit `hikyaku service install` writes. It runs Hikyaku as an
// unprivileged system user whose only capability is binding ports below 1024
// (25, 465, 587), with the file system read-only except the data directory.
//
// Type=exec, not Type=notify: readiness notification needs sd_notify, i.e. a
// native module or a socket client of our own, for little gain here (the
// listeners are open a few hundred milliseconds after exec).
//
// Measured with `systemd-analyze security --offline=yes` (Debian 12's
// systemd 252): exposure 1.4 "OK" (test/service/service-install.test.ts
// keeps it at 2 or below). What remains: the network itself (a mail server
// needs AF_INET/AF_INET6 and no PrivateNetwork), the one capability,
// MemoryDenyWriteExecute off (below), no PrivateUsers (a user namespace's
// CAP_NET_BIND_SERVICE does not reach the host's ports), no ProcSubset=pid
// (Node reads /proc/meminfo and /proc/stat for os.totalmem()/os.cpus()).
import { SERVER_NODE_FLAGS } from '../core/node-flags.js';

export const UNIT_NAME = 'hikyaku.service';
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;

export interface UnitOptions {
  readonly user: string;
  readonly group: string;
  /** Absolute path of the node binary. */
  readonly nodePath: string;
  /** Absolute path of the built cli.js. */
  readonly cliPath: string;
  readonly configPath: string;
  readonly dataDir: string;
}

/** systemd quotes: a word with spaces or specials goes in double quotes, with \ and " escaped. */
function quote(word: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? word : `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function renderUnit(o: UnitOptions): string {
  const exec = [o.nodePath, ...SERVER_NODE_FLAGS, o.cliPath, 'start', '--config', o.configPath].map(quote).join(' ');
  return `# Written by "hikyaku service install"; "hikyaku service uninstall" removes it.
# Edit with "systemctl edit hikyaku" (a drop-in survives a re-install).
[Unit]
Description=Hikyaku (飛脚) outgoing mail server
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
User=${o.user}
Group=${o.group}
ExecStart=${exec}
# SIGHUP re-reads the certificate files and the settings that change live (README: Production).
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5s
# A clean stop waits up to 35 s for deliveries in flight to record their outcome.
TimeoutStopSec=60s
Environment=NODE_ENV=production
Environment=HIKYAKU_CONFIG=${quote(o.configPath)}
WorkingDirectory=${quote(o.dataDir)}
# stdout is not a terminal: one JSON object per line, read by journald ("journalctl -u hikyaku -o cat").
StandardOutput=journal
StandardError=journal
SyslogIdentifier=hikyaku
# Idle client connections each hold a descriptor.
LimitNOFILE=65536
UMask=0077

# Least privilege: only the right to bind ports below 1024.
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
# The file system is read-only except the data directory.
ProtectSystem=strict
ReadWritePaths=${quote(o.dataDir)}
PrivateTmp=yes
ProtectHome=yes
PrivateMounts=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
KeyringMode=private
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
# MemoryDenyWriteExecute stays OFF: V8's JIT compiler writes machine code
# into memory it then executes (W+X mappings); with it on, node aborts at start.

[Install]
WantedBy=multi-user.target
`;
}
