# syntax=docker/dockerfile:1
# WalkWell: multi-stage build. The first stage builds a virtual environment with only the runtime
# dependencies; the second copies it onto a clean slim base and runs as a non-root user.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/walkwell
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY schedules ./schedules
# A regular (non-editable) install without the dev extra: runtime dependencies only.
RUN /opt/walkwell/bin/pip install --no-cache-dir . \
    && /opt/walkwell/bin/walkwell check

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/walkwell/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLBACKEND=Agg \
    DATABASE_URL=sqlite+aiosqlite:////app/data/walkwell.db \
    WALKWELL_HEALTH_FILE=/app/data/health.json
RUN groupadd --system --gid 10001 walkwell \
    && useradd --system --uid 10001 --gid walkwell --home-dir /app --create-home walkwell \
    && mkdir -p /app/data \
    && chown walkwell:walkwell /app/data
COPY --from=build /opt/walkwell /opt/walkwell
USER 10001:10001
WORKDIR /app
VOLUME ["/app/data"]
# Real health: fails when the gateway heartbeat or the reminder sweep is stale.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["walkwell", "health"]
# walkwell run stops taking work on SIGTERM, finishes or releases in-flight sends, closes the database.
STOPSIGNAL SIGTERM
ENTRYPOINT ["walkwell"]
CMD ["run"]
