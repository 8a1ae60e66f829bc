FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY src ./src
COPY views ./views
COPY public ./public
COPY locales ./locales
COPY migrations ./migrations
COPY config ./config
USER node
EXPOSE 3000
# node directly (not npm) so SIGTERM reaches the server and it shuts down gracefully.
CMD ["node", "--import", "tsx", "src/server.ts"]
