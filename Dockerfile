# syntax=docker/dockerfile:1
# The Flashback relay tracker. Build from the repository root:
#   docker build -t flashback-tracker .
#   docker run -p 3000:3000 -v flashback-data:/data flashback-tracker
# Only the tracker runs in this image; the apps are not part of it.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- manifests: every package.json (npm needs all workspaces to read the lockfile), nothing else ---
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out \
 && cp package.json package-lock.json /out/ \
 && find apps services shared -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /out/ \;

# --- deps: the tracker's production dependencies only (better-sqlite3 is native: build tools in case no prebuilt fits) ---
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=manifests /out/ ./
RUN npm ci --omit=dev --ignore-scripts --workspace @flashback/tracker \
 && npm rebuild better-sqlite3 \
 && mkdir -p services/tracker/node_modules \
 && npm cache clean --force

# --- build: bundle dist/server.js and dist/healthcheck.js with esbuild ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /out/ ./
RUN npm ci --ignore-scripts --include-workspace-root --workspace @flashback/tracker
COPY tsconfig.base.json ./
COPY scripts/build-node.mjs scripts/
COPY shared/protocol shared/protocol
COPY shared/identity shared/identity
COPY services/tracker services/tracker
RUN node services/tracker/build.mjs

# --- runtime: node + the bundle + production node_modules, as the unprivileged `node` user ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    RELAY_DATA_DIR=/data \
    RELAY_PORT=3000 \
    RELAY_BIND_ADDRESS=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=deps --chown=root:root /app/services/tracker/node_modules ./services/tracker/node_modules
COPY --from=deps --chown=root:root /app/services/tracker/package.json ./services/tracker/package.json
COPY --from=build --chown=root:root /app/services/tracker/dist ./services/tracker/dist
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
VOLUME /data
# HTTPS (mutual TLS) and, from a later issue, the UDP matchmaker.
EXPOSE 3000 12345/udp
# No curl in the image: a tiny node script GETs https://127.0.0.1:$RELAY_PORT/health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "services/tracker/dist/healthcheck.js"]
# node is the process itself (no npm, no shell in between), so SIGTERM reaches the tracker, which
# finishes in-flight requests, closes the database and exits 0.
CMD ["node", "services/tracker/dist/server.js"]
