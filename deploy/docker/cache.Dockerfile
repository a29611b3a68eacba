# syntax=docker/dockerfile:1
# The sim2l cache service. Build from the repository root, which holds the
# sibling distributions it installs:
#   docker build -f deploy/docker/cache.Dockerfile -t sim2l-cache-service:1.0.0 .
# cache.Dockerfile.dockerignore beside this file keeps .venv, .git, caches and
# secret env files out of the build context (BuildKit reads it).

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the service and its sibling distributions into a venv ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY sim2l-sessions/ sim2l-sessions/
COPY sim2l-service-kit/ sim2l-service-kit/
COPY sim2l-cache-service/ sim2l-cache-service/
# Regular (not editable) installs: the runtime stage copies only /opt/venv.
# pip resolves sim2l-sessions and sim2l-service-kit from the paths given in the same command.
RUN pip install "./sim2l-sessions[store,postgresql]" "./sim2l-service-kit[postgresql]" ./sim2l-cache-service \
    && python -m compileall -q /opt/venv

# --- runtime: the venv, a config file, a non-root user; no compilers, no sources ---
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="sim2l-cache-service" \
      org.opencontainers.image.description="The sim2l cache service under gunicorn" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 sim2l \
    && useradd --system --uid 10001 --gid sim2l --no-create-home --home-dir /tmp/sim2l \
       --shell /usr/sbin/nologin sim2l \
    && mkdir -p /var/lib/sim2l/data && chown -R 10001:10001 /var/lib/sim2l
COPY --from=build /opt/venv /opt/venv
COPY deploy/docker/gunicorn.conf.py deploy/docker/healthcheck.py /etc/sim2l/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SIM2L_SERVICE=cache \
    PORT=8001 \
    WEB_CONCURRENCY=2 \
    SIM2L_HOME=/tmp/sim2l
# /var/lib/sim2l/data: where a single-host (compose) setup mounts a volume for
# SQLite files; in Kubernetes the databases are PostgreSQL.
# Numeric so that Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 10001:10001
WORKDIR /tmp
EXPOSE 8001
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/etc/sim2l/healthcheck.py"]
# Settings (bind, workers, timeouts, logs) come from the environment through
# gunicorn.conf.py; the heartbeat file is kept in memory.
CMD ["gunicorn", "--config", "/etc/sim2l/gunicorn.conf.py", "--worker-tmp-dir", "/dev/shm", \
     "sim2l_cache_service.app:create_app()"]
