# syntax=docker/dockerfile:1
#
# modelgate gateway image.
#
#   docker build -t modelgate:$(git describe --always --dirty) .
#   docker run --rm -p 50051:50051 -p 9464:9464 modelgate:<tag>
#
# Both stages use the same base image, so the interpreter path the virtualenv
# was made with (/usr/local/bin/python3.11) exists unchanged in the runtime.
# For releases pin the base by digest as well, e.g.
#   --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:<digest>
# See docs/operations.md ("Image").

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------
# builder: resolve the locked environment into /app/.venv
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ARG UV_VERSION=0.13.9
RUN python -m pip install --no-cache-dir "uv==${UV_VERSION}"

# No interpreter downloads (use the image's Python), byte-compile at build time
# (the runtime's root filesystem is read-only), copy files out of uv's cache
# (a cache mount cannot be hard-linked into the venv).
ENV UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_PROGRESS=1

WORKDIR /src

# 1. Third-party dependencies only: this layer is rebuilt only when the lock or
#    a pyproject changes, not on every source edit. The workspace member's
#    pyproject must be present for uv to see the workspace.
COPY pyproject.toml uv.lock ./
COPY clients/python/pyproject.toml clients/python/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --no-install-workspace

# 2. The two workspace packages as regular (non-editable) wheels: the root
#    project `modelgate` (server/modelgate, needs README.md as its readme) and
#    `modelgate-client` (clients/python: modelgate.v1 + modelgate.client).
#    --no-cache and no cache mount here on purpose: uv keys its cache of
#    built local wheels on pyproject.toml, so a shared cache would install a
#    stale wheel after a source-only change. Only these two small wheels are
#    built in this step; every dependency is already in the venv.
COPY README.md ./
COPY server/ server/
COPY clients/python/ clients/python/
RUN uv sync --frozen --no-dev --no-editable --no-cache \
 && /app/.venv/bin/python -c "import modelgate.app, modelgate.client, modelgate.v1.gateway_pb2" \
 && /app/.venv/bin/modelgate serve --help > /dev/null

# ---------------------------------------------------------------------------
# runtime: the interpreter, the venv, nothing else (no uv, pip cache, compilers
# or sources; slim has no build toolchain to begin with)
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="modelgate" \
      org.opencontainers.image.description="gRPC gateway: one typed, streaming contract to any LLM provider" \
      org.opencontainers.image.licenses="Apache-2.0"

# The app user, and no package installer left in the image: the venv needs
# neither pip nor setuptools at run time.
RUN groupadd --system --gid 10001 modelgate \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin modelgate \
 && python -m pip uninstall --yes --quiet pip setuptools wheel

# Owned by root and not writable by the app user: the code cannot be modified
# at run time even where the root filesystem is not mounted read-only.
COPY --from=builder /app/.venv /app/.venv

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MODELGATE_SERVER__HOST=0.0.0.0

# Empty working directory: pydantic-settings reads `.env` from here, so
# nothing is picked up unless an operator mounts one on purpose.
WORKDIR /app
USER 10001:10001

# 50051 gRPC (ModelGateway, health, reflection); 9464 Prometheus /metrics.
EXPOSE 50051 9464

# The server drains on SIGTERM: health NOT_SERVING, in-flight calls finish
# within server.grace_seconds (default 20), then exit 0. `modelgate` runs as
# PID 1 and handles the signal itself (with --workers N it forwards it).
STOPSIGNAL SIGTERM
ENTRYPOINT ["modelgate", "serve"]
CMD []
