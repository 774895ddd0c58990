# ngan API server image. Build: docker build -t ngan .
# Run (PostgreSQL elsewhere; secrets mounted, never baked in):
#   docker run -p 127.0.0.1:8080:8080 \
#     -e DATABASE_URL=postgresql://ngan:PW@db:5432/ngan \
#     -e NGAN_JWT_KEY=/run/secrets/jwt-current.pem -e NGAN_PII_KEY=<64 hex> \
#     -v /srv/ngan/jwt-current.pem:/run/secrets/jwt-current.pem:ro \
#     -e MIGRATE=1 ngan
# Plain HTTP: terminate TLS in front (conf/nginx.conf.sample).

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    gcc make libc6-dev kore libjansson-dev libjwt-dev libsodium-dev \
    libqrencode-dev libssl-dev libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY api/ api/
COPY tools/ tools/
COPY tests/unit/ tests/unit/
RUN make module && build/unit-tests

# GET /docs: Swagger UI from the npm package pinned in tests/.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY tests/package.json tests/package-lock.json tests/
RUN cd tests && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
COPY assets/docs.html assets/docs.js assets/
RUN mkdir -p assets/vendor \
 && cp tests/node_modules/swagger-ui-dist/swagger-ui-bundle.js \
    tests/node_modules/swagger-ui-dist/swagger-ui.css assets/vendor/

FROM debian:bookworm-slim
# kore pulls in its headers' -dev packages; the rest are the module's
# runtime libraries, curl for the health check and psql for migrations.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    kore libjansson4 libjwt0 libsodium23 libqrencode4 libpq5 \
    postgresql-client-15 curl ca-certificates openssl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /app --shell /usr/sbin/nologin ngan
WORKDIR /app
COPY --from=build /src/build/ngan.so /src/build/ngan-passwd build/
COPY conf/ngan.conf.in conf/
COPY openapi.yaml ./
COPY --from=assets /src/assets/ assets/
COPY sql/ sql/
COPY scripts/lib.sh scripts/migrate.sh scripts/docker-entrypoint.sh scripts/
RUN mkdir -p /run/ngan && chown ngan:ngan /run/ngan

USER ngan
ENV PORT=8080 BIND_ADDR=0.0.0.0 WORKERS=2 PG_CONNS=8 \
    NGAN_OPENAPI=/app/openapi.yaml NGAN_ASSETS=/app/assets RUNDIR=/run/ngan
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/healthz" >/dev/null || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
