# The production worker's image (deploy/worker.yaml runs it): `docker build -t k8s-rolling-upgrade-worker .`
# Stage 1 compiles the worker and bundles the workflows (`npm run build:worker`); stage 2 holds only the
# production dependencies, dist/ and the script that starts the worker as `npm run worker:dist` does.
# Node 20 (package.json engines) on Debian (glibc), not Alpine: the Temporal SDK's native core is built for glibc.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# What `tsc -p tsconfig.build.json` compiles and what worker/bundle.ts bundles (test/unit/dockerfile.test.ts checks the list).
COPY tsconfig.json tsconfig.build.json ./
COPY activities ./activities
COPY client ./client
COPY config ./config
COPY model ./model
COPY worker ./worker
COPY workflows ./workflows
RUN npm run build:worker

FROM node:20-bookworm-slim
# tini as PID 1: it forwards SIGTERM to the worker (a process that is PID 1 is not stopped by a signal
# it does not handle) and reaps the replacement commands' orphaned processes.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
  K8S_RU_STATE_DIR=/var/lib/k8s-rolling-upgrade
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY scripts/worker.sh ./scripts/worker.sh
# The state dir (the replacement commands' run files) is a volume in deploy/worker.yaml; the root
# file system can then be read-only.
RUN mkdir -p /var/lib/k8s-rolling-upgrade && chown 1000:1000 /var/lib/k8s-rolling-upgrade
# The image's `node` user, by number so that Kubernetes can check runAsNonRoot.
USER 1000:1000
ENTRYPOINT ["/usr/bin/tini", "--", "bash", "/app/scripts/worker.sh"]
