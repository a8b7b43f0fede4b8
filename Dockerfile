# syntax=docker/dockerfile:1
# ringsense-mcp as an HTTP service: `docker compose up` (compose.yaml) runs three replicas behind nginx.
#
# Two stages: the build stage resolves dependencies strictly from uv.lock (`--frozen`: the lock is used as it is,
# never re-resolved) and installs the project as a regular, non-editable package into /app/.venv; the runtime
# stage copies only that virtual environment onto the same Python base image, so the image carries no uv, no
# compiler, no source tree and no dev dependencies, and runs as an unprivileged user.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
# Compile bytecode at build time (the runtime user cannot write it); copy out of the cache mount instead of
# hard-linking into it; use the image's Python, never a downloaded one.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when the lock file changes, not on every edit.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-project
COPY . /src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 ringsense \
 && useradd --system --uid 10001 --gid ringsense --home-dir /home/ringsense --create-home --shell /usr/sbin/nologin ringsense
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /home/ringsense
EXPOSE 8000
# /healthz answers without auth and says nothing secret. The image has no curl: the standard library asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# uvicorn drains in-flight calls for 25 s on SIGTERM (server/http.py); compose gives it 35 s before SIGKILL.
STOPSIGNAL SIGTERM
ENTRYPOINT ["ringsense-mcp"]
# Binding 0.0.0.0 is refused without RINGSENSE_MCP_TOKEN: every request must then carry the bearer token.
CMD ["serve", "--transport", "http", "--stateless", "--host", "0.0.0.0", "--port", "8000"]
