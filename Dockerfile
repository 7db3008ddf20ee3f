# Build: docker build -t yuqing-tracker .   (docker-compose.yml does this for you)
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY migrations ./migrations
COPY config ./config
RUN cargo build --release --locked --bin yuqing-tracker

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/yuqing --create-home yuqing
COPY --from=build /src/target/release/yuqing-tracker /usr/local/bin/yuqing-tracker
USER yuqing
WORKDIR /var/lib/yuqing
ENV YUQING__SERVER__BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["/usr/local/bin/yuqing-tracker"]
CMD ["serve"]
