# syntax=docker/dockerfile:1
# The sim2l dashboard (sim2l-web). Build from the repository root, which holds
# the sibling distributions it installs:
#   docker build -f deploy/docker/web.Dockerfile -t sim2l-web:1.0.0 .
# web.Dockerfile.dockerignore beside this file keeps .venv, .git, caches and
# secret env files out of the build context (BuildKit reads it).
# It needs the three clients and sim2l-sessions, never a service or a database
# driver; plotly.min.js comes from the plotly wheel, so the image serves every
# script itself (no CDN, works on an offline cluster).

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the dashboard and its sibling distributions into a venv ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY sim2l-sessions/ sim2l-sessions/
COPY sim2l-cache-service/client/ sim2l-cache-service/client/
COPY sim2l-catalog-service/client/ sim2l-catalog-service/client/
COPY sim2l-results-service/client/ sim2l-results-service/client/
COPY sim2l-web/ sim2l-web/
# Regular (not editable) installs: the runtime stage copies only /opt/venv.
RUN pip install ./sim2l-sessions ./sim2l-cache-service/client ./sim2l-catalog-service/client \
       ./sim2l-results-service/client ./sim2l-web \
    && python -m compileall -q /opt/venv

# --- runtime: the venv, a non-root user; no compilers, no sources ---
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="sim2l-web" \
      org.opencontainers.image.description="The sim2l dashboard under gunicorn" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 sim2l \
    && useradd --system --uid 10001 --gid sim2l --no-create-home --home-dir /tmp/sim2l \
       --shell /usr/sbin/nologin sim2l
COPY --from=build /opt/venv /opt/venv
COPY deploy/docker/healthcheck.py /etc/sim2l/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    WEB_CONCURRENCY=2 \
    SIM2L_HOME=/tmp/sim2l
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/etc/sim2l/healthcheck.py"]
# Threaded workers (gthread): a page mostly waits on the services. gunicorn
# reads the worker count from WEB_CONCURRENCY; the heartbeat file lives in
# memory (the root filesystem is read-only).
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "4", \
     "--worker-tmp-dir", "/dev/shm", "--no-control-socket", "--timeout", "120", \
     "sim2l_web.app:create_app()"]
