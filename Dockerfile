# ngan API server image. Build: docker build -t ngan .
# Run (PostgreSQL elsewhere; secrets mounted as files, never baked in):
#   docker run -p 127.0.0.1:8080:8080 \
#     -e DATABASE_URL_FILE=/run/secrets/database-url \
#     -e NGAN_PII_KEY_FILE=/run/secrets/pii-key \
#     -e NGAN_JWT_KEY=/run/secrets/jwt-current.pem \
#     -v /srv/ngan/secrets:/run/secrets:ro \
#     -e MIGRATE=1 ngan
# Each secret variable X may be given as X, or as X_FILE naming a file
# readable by uid 10001 (README, Configuration). Plain HTTP: terminate
# TLS in front (conf/nginx.conf.sample).
#
# Stopping: SIGTERM; each worker drains its requests for at most 8 s
# (DRAIN_MS in api/main.c), within the 10 s docker stop and Compose wait
# by default before SIGKILL. Raising that wait (docker stop -t,
# stop_grace_period, terminationGracePeriodSeconds) is safe, lowering it
# below 9 s is not. tests/e2e/84-deploy-image.test.mjs checks this file.

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    gcc make libc6-dev kore libjansson-dev libjwt-dev libsodium-dev \
    libqrencode-dev libssl-dev libpq-dev libcurl4-openssl-dev \
    pkg-config libcairo2-dev libpango1.0-dev fonts-tlwg-laksaman \
    libarchive-dev \
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
COPY assets/scan/ assets/scan/
RUN mkdir -p assets/vendor assets/scan/vendor \
 && cp tests/node_modules/swagger-ui-dist/swagger-ui-bundle.js \
    tests/node_modules/swagger-ui-dist/swagger-ui.css assets/vendor/ \
 && cp tests/node_modules/jsqr/dist/jsQR.js assets/scan/vendor/

FROM debian:bookworm-slim
# The runtime is Debian's kore binary without its package: the package
# depends on libc6-dev, libssl-dev and libpq-dev (for kodev), which a
# server never uses. Measured with apt on bookworm (Installed-Size over
# bookworm-slim's packages): what this stage installs adds 19 MB, of which
# psql (for MIGRATE=1) and readline are 9 MB; the kore package, curl,
# openssl and ca-certificates installed before added 59 MB. The health
# check is plain bash (scripts/healthcheck.sh), so no curl. libpq finds
# no system CA bundle by default anyway: for verified TLS to PostgreSQL
# mount the CA and name it with sslrootcert= in DATABASE_URL.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    libssl3 libpq5 libjansson4 libjwt0 libsodium23 libqrencode4 libcurl4 \
    libcairo2 libpango-1.0-0 libpangocairo-1.0-0 fontconfig libarchive13 \
    fonts-tlwg-laksaman postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ngan \
 && useradd --system --uid 10001 --gid ngan --home-dir /app \
    --shell /usr/sbin/nologin ngan
COPY --from=build /usr/bin/kore /usr/bin/kore
WORKDIR /app
COPY --from=build /src/build/ngan.so /src/build/ngan-passwd \
    /src/build/ngan-outbox /src/build/ngan-certzip build/
COPY conf/ngan.conf.in conf/
COPY openapi.yaml ./
COPY --from=assets /src/assets/ assets/
COPY sql/ sql/
COPY scripts/lib.sh scripts/migrate.sh scripts/docker-entrypoint.sh \
    scripts/healthcheck.sh scripts/
# Certificate ZIPs (ngan-certzip writes them, the server sends them): a
# volume when the builder runs in a container of its own.
RUN mkdir -p /run/ngan /var/lib/ngan/certificate-zips \
 && chown -R ngan:ngan /run/ngan /var/lib/ngan

# Numeric, so that Kubernetes' runAsNonRoot can tell it is not root.
USER 10001:10001
ENV PORT=8080 BIND_ADDR=0.0.0.0 WORKERS=2 PG_CONNS=8 \
    NGAN_OPENAPI=/app/openapi.yaml NGAN_ASSETS=/app/assets RUNDIR=/run/ngan \
    NGAN_CERT_ZIP_DIR=/var/lib/ngan/certificate-zips
EXPOSE 8080
# Ready means serving and reaching the database (/readyz, 503 without it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/app/scripts/healthcheck.sh"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
