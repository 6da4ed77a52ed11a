# promptpilot sidecar image: build with the dev toolchain, ship only dist/, bin/, config/ and production deps.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
WORKDIR /app
# In a container the daemon must take traffic from outside its own loopback: server.host via PROMPTPILOT_HOST.
# Probes get a port of their own (server.probe_port), answered by a worker thread that never waits behind ingest.
ENV NODE_ENV=production PROMPTPILOT_HOST=0.0.0.0 PROMPTPILOT_PORT=4318 PROMPTPILOT_PROBE_PORT=4319
# V8's heap limit: 5/8 of limits.memory_budget_bytes (768 MiB by default), what `promptpilot run` derives by itself
# when no limit is set — the rest of the budget is sketch bins outside the heap, Node and buffers (docs/reliability.md).
# Set here so the daemon runs as PID 1 without the re-executing parent. Raise both together.
ENV NODE_OPTIONS=--max-old-space-size=480
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
USER node
EXPOSE 4318 4319
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PROMPTPILOT_PROBE_PORT || process.env.PROMPTPILOT_PORT || 4318) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The same entry as the package's bin: SIGTERM reaches node directly (exec form) and drains.
ENTRYPOINT ["node", "bin/promptpilot.js"]
CMD ["run"]
