# Build: TypeScript compiled to dist/ (tsc, a development dependency).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# Buffers of 128 KB and more (uploaded photos, their pixels) are mapped for themselves and given
# back to the system when freed, instead of staying in the allocator's heap: see package.json
# "start" and docs/PERFORMANCE.md (uploads). test/compose.test.ts keeps the two the same.
ENV MALLOC_MMAP_THRESHOLD_=131072
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The command-line tools (npm run staff, migrate, backup, restore) run from source through tsx.
COPY src ./src
COPY views ./views
COPY public ./public
COPY locales ./locales
COPY migrations ./migrations
COPY config ./config
# A new embedded data folder starts from this initdb'ed cluster (src/db/initdb-template.ts).
COPY vendor ./vendor
USER node
EXPOSE 3000
# node directly (not npm) so SIGTERM reaches the server and it shuts down gracefully; V8's flag as
# in package.json "start" (docs/PERFORMANCE.md, "The staff queue and memory").
CMD ["node", "--heap-growing-percent=50", "dist/server.js"]
