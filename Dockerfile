# syntax=docker/dockerfile:1
# One image for all four services; Kubernetes picks the service with
# `command: ["node", "services/<name>/src/main.ts"]` (see deploy/k8s and docs/deploy.md).
# Node 24 runs the TypeScript sources directly: there is no build step.

ARG NODE_IMAGE=node:24-slim

# Only the package manifests (and patches/, which `npm ci` applies to node_modules after installing), so the
# dependency layer below is rebuilt only when they change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -path './patches/*.patch' -delete \
 && find . -depth -type d -empty -delete

# Production dependencies of every workspace (workspace packages become links into the sources).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY --from=manifests /src/ ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080 \
    REELGATE_DATA_DIR=/tmp/reelgate
COPY --from=deps /app/ ./
COPY . .
# Files stay owned by root and read-only to the service; it writes only under /tmp.
USER node
# 8080: the API (ingress) or the operations endpoints (the others); 8081: ingress's operations endpoints.
EXPOSE 8080 8081
CMD ["node", "services/ingress/src/main.ts"]
