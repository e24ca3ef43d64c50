// Turning bind failures into messages a web director can act on.
import type { ListenerConfig } from '../config/types.js';

export function describeListenError(err: NodeJS.ErrnoException, kind: string, listener: ListenerConfig): string {
  const where = `${listener.host}:${listener.port}`;
  const key = `listeners.${kind}.port`;
  switch (err.code) {
    case 'EADDRINUSE':
      return (
        `Cannot listen on ${where} (${kind}): the port is already in use by another program ` +
        `(another mail server such as Postfix or Exim, or a second Hikyaku). ` +
        `Stop that program (e.g. "systemctl stop postfix"), or set ${key} to a free port.\n` +
        `${where} (${kind}) は他のプログラムが使用中です。そのプログラム(Postfix など)を停止するか、${key} で別のポートを指定してください。`
      );
    case 'EACCES':
    case 'EPERM':
      return (
        `Cannot listen on ${where} (${kind}): ports below 1024 need privileges. ` +
        `Run Hikyaku as root, or give Node.js the capability once: ` +
        `sudo setcap 'cap_net_bind_service=+ep' "$(readlink -f "$(command -v node)")", ` +
        `or set ${key} to a port above 1023.\n` +
        `${where} (${kind}) を開けません: 1024 未満のポートには特権が必要です。root で起動するか、上記の setcap を実行するか、${key} で 1024 以上のポートを指定してください。`
      );
    case 'EADDRNOTAVAIL':
      return (
        `Cannot listen on ${where} (${kind}): ${listener.host} is not an address of this machine. ` +
        `Set listeners.${kind}.host to one of its addresses, or 0.0.0.0 for all.\n` +
        `${listener.host} はこのマシンのアドレスではありません。listeners.${kind}.host を確認してください。`
      );
    default:
      return `Cannot listen on ${where} (${kind}): ${err.message}`;
  }
}
