# syntax=docker/dockerfile:1
# Multi-stage build. cargo-chef builds the dependencies from a recipe of the
# manifests alone, so that layer survives source edits; the runtime is distroless
# (glibc and CA certificates, no shell, no package manager) as the non-root user
# 65532, with the database on a volume. The daemon handles SIGTERM itself as PID 1.
#   docker build -t apihub-importer --build-arg APIHUB_GIT_COMMIT="$(git rev-parse --short=12 HEAD)" .
#   docker run -p 8080:8080 -e APIHUB_SERVER__AUTH_TOKENS=... -v apihub:/var/lib/apihub-importer apihub-importer
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin apihub-importer
COPY . .
# No .git in the build context (.dockerignore): the commit comes in as an argument.
ARG APIHUB_GIT_COMMIT=unknown
ENV APIHUB_GIT_COMMIT=${APIHUB_GIT_COMMIT}
RUN cargo build --release --locked --bin apihub-importer \
 && install -d -o 65532 -g 65532 -m 0700 /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/apihub-importer /usr/local/bin/apihub-importer
COPY --from=build --chown=65532:65532 /out/data /var/lib/apihub-importer
COPY config/apihub-importer.yaml /etc/apihub-importer/apihub-importer.yaml
ENV APIHUB_SERVER__BIND=0.0.0.0:8080 \
    APIHUB_STORE__PATH=/var/lib/apihub-importer/apihub.db \
    APIHUB_LOG__FORMAT=json \
    MALLOC_ARENA_MAX=2
USER 65532:65532
WORKDIR /var/lib/apihub-importer
VOLUME ["/var/lib/apihub-importer"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/apihub-importer", "--config", "/etc/apihub-importer/apihub-importer.yaml"]
CMD ["serve"]
