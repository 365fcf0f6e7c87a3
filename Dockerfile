# syntax=docker/dockerfile:1
# The agent-canary image: the quality gate and the canary HTTP API (`agent-canary gate`, the
# default command), or any other CLI command (`docker run IMAGE validate ...`).
#   docker build -t agent-canary .
# It runs as a non-root user (10001, the gate Deployment's runAsUser) on a read-only root
# filesystem: it writes only to /tmp (caches, HOME) and /work (clones of the GitOps repository),
# which the Deployment mounts as emptyDirs. test/package/ checks the build context and runs this
# ENTRYPOINT and CMD against the installed npm tarball (scripts/image-entrypoint.mjs).
ARG NODE_VERSION=22

# Build: compile the TypeScript, pack the package as npm would publish it, and install that
# tarball with the dependency tree package-lock.json pins; better-sqlite3 compiles here (or
# downloads its prebuilt binary), so the runtime stage needs no compiler.
FROM node:${NODE_VERSION}-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json main.ts README.md ./
COPY bin ./bin
COPY constructs ./constructs
COPY imports ./imports
COPY schemas ./schemas
COPY src ./src
COPY docs ./docs
COPY assets/dashboard ./assets/dashboard
COPY scripts/install-package.mjs ./scripts/
COPY scripts/ci ./scripts/ci
RUN npm pack --pack-destination /tmp \
  && node scripts/install-package.mjs /tmp/agent-canary-*.tgz /app \
  && rm /app/agent-canary.tgz

# Runtime: Node, git (the canary API commits and pushes) and the installed package only.
FROM node:${NODE_VERSION}-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /work \
  && chown 10001:10001 /work
COPY --from=build /app/node_modules /app/node_modules
ENV NODE_ENV=production HOME=/tmp XDG_CACHE_HOME=/tmp/cache
WORKDIR /work
USER 10001:10001
EXPOSE 8080
# Exec form: node is PID 1 and receives SIGTERM itself; the gate handles it and drains.
ENTRYPOINT ["node", "/app/node_modules/agent-canary/bin/agent-canary.mjs"]
CMD ["gate", "--host", "0.0.0.0", "--port", "8080"]
