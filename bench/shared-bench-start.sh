#!/bin/sh
# Start Hikyaku the way ../shared/bench wants a server under test (see
# bench/README.md): a fresh, empty data folder; plain SMTP on
# $BENCH_HOST:$BENCH_PORT for the trusted loopback network; every message
# relayed to the counting sink at $BENCH_RELAY_HOST:$BENCH_RELAY_PORT; stop on
# SIGTERM. The data folder (queue, log) is removed when Hikyaku exits.
#
# Options, from the environment:
#   HIKYAKU_DKIM_DOMAIN=bench.example   register the sender's domain: every message is DKIM-signed
#   HIKYAKU_MAX_CONNECTIONS=2500        limits.maxConnections and maxConnectionsPerClient (the harness holds 2,000 idle ones)
#   HIKYAKU_LOG=/dev/null               where the JSON log lines go (default: hikyaku.log in the data folder)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI="$ROOT/dist/src/cli.js"
[ -f "$CLI" ] || { echo "shared-bench-start: $CLI is missing; run 'npm run build' in $ROOT first" >&2; exit 1; }
DATA=$(mktemp -d /tmp/hikyaku-shared-bench.XXXXXX)
cat >"$DATA/hikyaku.yaml" <<EOF
hostname: hikyaku.bench.example
dataDir: $DATA
listeners:
  relay:
    # The harness sends From: sender@bench.example from 127.0.0.1; a trusted
    # client may only use a From of a registered sending domain or of this list.
    maySendAs: ['*@bench.example']
  # The harness measures SMTP; off, so that two builds can run side by side.
  http:
    enabled: false
limits:
  maxConnections: ${HIKYAKU_MAX_CONNECTIONS:-2500}
  # One load client on loopback opens thousands of connections a minute and
  # holds 2,000 idle ones: limits high enough for that, still counted.
  maxConnectionsPerClient: ${HIKYAKU_MAX_CONNECTIONS:-2500}
  connectionRatePerClient: 100000000
log:
  file: ${HIKYAKU_LOG:-$DATA/hikyaku.log}
EOF
if [ -n "${HIKYAKU_DKIM_DOMAIN:-}" ]; then
  node "$CLI" domain add "$HIKYAKU_DKIM_DOMAIN" --config "$DATA/hikyaku.yaml" --lang en >/dev/null
fi
# The server's V8 flags: see src/core/node-flags.ts.
node --max-semi-space-size=4 --no-memory-reducer "$CLI" start --config "$DATA/hikyaku.yaml" \
  --relay-listen "$BENCH_HOST:$BENCH_PORT" --submission-listen off --submissions-listen off \
  --relayhost "[$BENCH_RELAY_HOST]:$BENCH_RELAY_PORT" &
pid=$!
# Hikyaku stops cleanly on SIGTERM; the folder goes once it has exited.
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" || true; rm -rf "$DATA"; exit 0' TERM INT
wait "$pid" || true
rm -rf "$DATA"
