# One image for both processes:
#   API (default):  node dist/apps/api/src/main.js
#   worker:         docker run … node --enable-source-maps dist/apps/worker/src/main.js
# Build: docker build -t peakstock .
# Needs BuildKit (the default builder since Docker 23) for RUN --mount.

# Pinned to an exact Node 20 release; bump deliberately together with package.json "engines".
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: all dependencies, compile TypeScript, pre-build the Temporal workflow bundle ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Lock files first so the dependency layer is cached until they change.
COPY package.json package-lock.json ./
# `npm install` (versions from the lock file) rather than `npm ci`: npm 11's ci refuses a lock file that lacks
# another platform's optional binaries, which some registry mirrors do not carry.
RUN npm install --no-audit --no-fund
COPY . .
# tsc + tsc-alias into dist/, then dist/workflow-bundle.js (the worker loads it instead of bundling at boot).
RUN npm run build

# ---- runtime: production dependencies and dist/ only, as a non-root user ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# Copy the built node_modules and drop the dev dependencies in one layer, so no dev package is ever stored
# in an image layer. Pruning (rather than a second `npm ci --omit=dev`) keeps the exact binaries that were
# built and tested above and needs no network or install scripts here.
RUN --mount=type=bind,from=build,source=/app/node_modules,target=/tmp/build-node_modules \
    cp -a /tmp/build-node_modules ./node_modules \
    && npm prune --omit=dev --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
# The shipped scenarios: the alert-policy preview replays them by name.
COPY --from=build /app/scenarios ./scenarios
# Files stay root-owned (read-only for the app); the processes write nothing to disk.
USER node
EXPOSE 3000
# node directly, not `npm start` (that script is the local-dev launcher with embedded PostgreSQL and a Temporal
# dev server). Shutdown is handled by the apps (SIGTERM → Nest shutdown hooks).
CMD ["node", "--enable-source-maps", "dist/apps/api/src/main.js"]
