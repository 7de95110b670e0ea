# mygpt-bridge production image.  Build: docker build -t mygpt-bridge .
# Run:   docker run -d --env-file .env -p 3000:3000 -v bridge-data:/data --stop-timeout 10 mygpt-bridge
#
# Node 24 is the newest LTS that CI runs the test suite on (.ci/run). Two stages: the first installs
# every dependency, compiles TypeScript to dist/ and prunes to production dependencies; the second
# copies only that, so the image carries no compiler, no build tools and no tests.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# The SQLite driver is a native addon: it is compiled here when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Dependencies first (a layer that survives source edits); `prepare` (the build) runs later.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
# --omit=optional too: valibot names TypeScript as an optional peer, so npm keeps it under --omit=dev
# alone. The bridge has no optional runtime dependency.
RUN npm run build && npm prune --omit=dev --omit=optional --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    STORE_URL=sqlite:///data/bridge.sqlite \
    PORT=3000 \
    SHUTDOWN_TIMEOUT_MS=8000
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config/bridge.example.yaml config/slack-manifest.yaml ./config/
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# --start-period: platforms may take a while to connect on first start; failures then do not count.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and handles SIGTERM/SIGINT itself (drain, then exit within SHUTDOWN_TIMEOUT_MS); it
# starts no child processes, so no zombie reaping is needed. `docker run --init` adds tini if you prefer.
CMD ["node", "dist/src/cli/bin.js", "start"]
