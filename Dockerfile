# Multi-stage build: compile in the Rust image, run on debian-slim as a non-root
# user with the database on a volume.
#   docker build -t apihub-importer .
#   docker run -p 8080:8080 -e APIHUB_SERVER__AUTH_TOKENS=... -v apihub:/var/lib/apihub-importer apihub-importer
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY connectors ./connectors
COPY src ./src
COPY config ./config
RUN cargo build --release --locked --bin apihub-importer

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/apihub-importer apihub \
 && install -d -o apihub -g apihub -m 0700 /var/lib/apihub-importer
COPY --from=build /src/target/release/apihub-importer /usr/local/bin/apihub-importer
COPY config/apihub-importer.yaml /etc/apihub-importer/apihub-importer.yaml
ENV APIHUB_SERVER__BIND=0.0.0.0:8080 \
    APIHUB_STORE__PATH=/var/lib/apihub-importer/apihub.db \
    APIHUB_LOG__FORMAT=json \
    MALLOC_ARENA_MAX=2
USER apihub
WORKDIR /var/lib/apihub-importer
VOLUME ["/var/lib/apihub-importer"]
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "apihub-importer", "--config", "/etc/apihub-importer/apihub-importer.yaml"]
CMD ["serve"]
