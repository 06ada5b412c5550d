# syntax=docker/dockerfile:1
# One image for every netmedic component: `netmedic controller|agent|probe|diagnose`.
# Build: docker build -t ghcr.io/netmedic-io/netmedic:0.1.0 .

# ---- build: compile TypeScript with the locked dependency tree
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node + nsenter (util-linux) — the agent enters the host's namespaces with it;
# iproute2 for reading links and routes inside those namespaces. Nothing else.
FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends util-linux iproute2 tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY examples ./examples
RUN ln -s /app/dist/cli/main.js /usr/local/bin/netmedic && chmod +x /app/dist/cli/main.js
# Non-root by default (the controller and probe run as this user with a read-only root FS);
# the agent DaemonSet opts into privileged, hostPID and root explicitly.
USER 65532:65532
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["--help"]
