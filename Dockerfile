# Hikyaku in a container: Debian slim + Node 20, run as a non-root user,
# the data (queue, users, DKIM keys) in a volume.
#
#   docker build -t hikyaku .
#   docker run -d --name hikyaku -p 587:587 -p 465:465 -v hikyaku-data:/var/lib/hikyaku hikyaku
#
# compose.yaml shows a complete setup (configuration file, certificates, ports).

# ---- build: compile TypeScript and the one native module (better-sqlite3) ----
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles SQLite when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json README.md ./
# The tests beside the code import test/helpers: the whole tree type-checks together.
COPY src ./src
COPY test ./test
COPY docs ./docs
# Only the server's JavaScript goes on: no tests, no TypeScript, no dev dependencies.
RUN npm run build \
 && rm -rf dist/test dist/bench \
 && find dist -name '*.test.js' -delete -o -name '*.test.js.map' -delete \
 && npm prune --omit=dev

# ---- run ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# A fixed uid/gid (2525) so that files on the host (the certificate copies of
# the certbot deploy hook, a bind-mounted data directory) can be given to it.
RUN groupadd --system --gid 2525 hikyaku \
 && useradd --system --uid 2525 --gid hikyaku --no-create-home --home-dir /var/lib/hikyaku --shell /usr/sbin/nologin hikyaku \
 && mkdir -p /var/lib/hikyaku /etc/hikyaku \
 && chown hikyaku:hikyaku /var/lib/hikyaku \
 && chmod 0700 /var/lib/hikyaku
WORKDIR /opt/hikyaku
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/docs ./docs
USER hikyaku
VOLUME /var/lib/hikyaku
# 587 submission (STARTTLS), 465 submissions (TLS), 25 relay for trusted
# networks (off unless configured), 8025 the HTTP API. Docker lets a non-root
# process bind ports below 1024 inside the container
# (net.ipv4.ip_unprivileged_port_start=0 since Docker 20.10).
EXPOSE 25 465 587 8025
# The V8 flags: see src/core/node-flags.ts. stdout is not a terminal: JSON logs for `docker logs`.
ENTRYPOINT ["node", "--max-semi-space-size=4", "--no-memory-reducer", "/opt/hikyaku/dist/src/cli.js"]
# The HTTP API listens on the container's own interfaces; publish it on the host's loopback only (compose.yaml).
CMD ["start", "--data-dir", "/var/lib/hikyaku", "--http-listen", "0.0.0.0:8025"]
