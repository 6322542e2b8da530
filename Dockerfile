# syntax=docker/dockerfile:1
# Build: compile TypeScript with the dev dependencies.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --ignore-scripts && npm run build

# Prune: production dependencies only.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

# Runtime: non-root, no build tools, exec-form CMD so signals reach node (SIGTERM drains, SIGHUP reloads).
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY examples ./examples
USER node
EXPOSE 8080 8081
# Inside a container the listeners must bind 0.0.0.0 (set `listen` and `admin.listen` in the config);
# a non-loopback admin plane then needs a token: pass SLUICE_ADMIN_TOKEN.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "dist/main.js", "healthcheck"]
CMD ["node", "dist/main.js", "start", "--config", "/etc/sluice/sluice.yaml"]
