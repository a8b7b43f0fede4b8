#!/usr/bin/env bash
# The MCP Inspector CLI (@modelcontextprotocol/inspector) as an independent client of ringsense-mcp, in sandbox
# mode: `tools/list --strict` (tool-schema portability lint) and a call of every tool over stdio, then the same
# lint and a few calls over Streamable HTTP with a bearer token, in both protocol eras. Any non-zero exit fails.
#
#   bash .ci/inspector.sh              # from the repository root; installs into .tools/ once, then reuses it
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/npm-tools.sh

INSPECTOR_VERSION="2.12.0"
CALL_TIMEOUT=120  # seconds for one Inspector run (a stdio run includes the server's start)
OUT="$TOOLS_DIR/inspector-results"

say "installing Node $NODE_VERSION and @modelcontextprotocol/inspector@$INSPECTOR_VERSION"
node22
npm_tool "$TOOLS_DIR/inspector" @modelcontextprotocol/inspector "$INSPECTOR_VERSION"
INSPECTOR="$TOOLS_DIR/inspector/node_modules/.bin/mcp-inspector"
[ -e "$INSPECTOR" ] || die "the Inspector CLI is missing at $INSPECTOR"

# The Inspector starts a stdio server with a minimal environment (HOME, PATH, USER, …), and HOME is about to
# point into .tools: hand uv its real cache so `uv run` neither re-downloads nor rebuilds anything.
UV_CACHE="$(uv cache dir)"
export HOME="$TOOLS_DIR/inspector/home"  # the Inspector writes ~/.mcp-inspector/
mkdir -p "$HOME"
rm -rf "$OUT"
mkdir -p "$OUT"
STDIO_SERVER=(-e "UV_CACHE_DIR=$UV_CACHE" uv run ringsense-mcp serve --sandbox)

checks=0
# inspect NAME TARGET... — one Inspector CLI run; its stdout goes to $OUT/NAME.json, and any non-zero exit
# (1 protocol error, 5 tool returned isError, 6 --strict found an error-severity schema issue) fails the script.
inspect() {
    local name="$1" status=0 started=$SECONDS
    shift
    timeout "$CALL_TIMEOUT" "$NODE" "$INSPECTOR" --cli "$@" >"$OUT/$name.json" 2>"$OUT/$name.err" || status=$?
    if [ "$status" -ne 0 ]; then
        cat "$OUT/$name.err" >&2
        head -c 2000 "$OUT/$name.json" >&2
        die "Inspector check '$name' exited with $status (124 = timed out after ${CALL_TIMEOUT}s)."
    fi
    checks=$((checks + 1))
    printf 'ok  %-44s %3ss\n' "$name" "$((SECONDS - started))"
}

# pick_call FILE FIELD — FIELD (record_id or session_id) of the newest recorded call that ended over an hour ago,
# from a list_recorded_calls result: RingSense needs 15–30 minutes after a call before its insights exist.
pick_call() {
    python3 - "$1" "$2" <<'PY'
import json, sys
from datetime import datetime, timedelta, timezone

calls = json.load(open(sys.argv[1]))["structuredContent"]["calls"]
cutoff = datetime.now(timezone.utc) - timedelta(hours=1)
for call in calls:
    started = datetime.fromisoformat(call["start_time"].replace("Z", "+00:00"))
    if call.get("record_id") and call.get("session_id") and started < cutoff:
        print(call[sys.argv[2]])
        break
else:
    sys.exit(f"no recorded call older than an hour among {len(calls)} listed")
PY
}

say "stdio: uv run ringsense-mcp serve --sandbox"
inspect stdio-tools-list "${STDIO_SERVER[@]}" --method tools/list --strict
# --strict prints warning-severity findings without failing; surface them so they are seen.
grep -E -A 1 "^(Warning|Error):|errors?, [0-9]+ warnings?" "$OUT/stdio-tools-list.err" >&2 || true
inspect stdio-check_permission "${STDIO_SERVER[@]}" -q --method tools/call --tool-name check_permission
inspect stdio-list_recorded_calls "${STDIO_SERVER[@]}" -q --method tools/call --tool-name list_recorded_calls \
    --tool-args-json '{"limit": 100}'
record_id="$(pick_call "$OUT/stdio-list_recorded_calls.json" record_id)"
session_id="$(pick_call "$OUT/stdio-list_recorded_calls.json" session_id)"
echo "    using record_id=$record_id session_id=$session_id (newest call recorded over an hour ago)"
inspect stdio-get_insights_by_record "${STDIO_SERVER[@]}" -q --method tools/call --tool-name get_insights_by_record \
    --tool-args-json "{\"record_id\": \"$record_id\"}"
inspect stdio-get_insights_by_session "${STDIO_SERVER[@]}" -q --method tools/call --tool-name get_insights_by_session \
    --tool-args-json "{\"session_id\": \"$session_id\"}"
inspect stdio-render_transcript "${STDIO_SERVER[@]}" -q --method tools/call --tool-name render_transcript \
    --tool-args-json "{\"record_id\": \"$record_id\", \"limit\": 20}"
inspect stdio-render_transcript-modern "${STDIO_SERVER[@]}" -q --protocol-era modern --method tools/call \
    --tool-name render_transcript --tool-args-json "{\"session_id\": \"$session_id\", \"format\": \"markdown\"}"

say "HTTP: ringsense-mcp serve --transport http --sandbox, with a bearer token"
RINGSENSE_MCP_TOKEN="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
export RINGSENSE_MCP_TOKEN
trap stop_http_server EXIT
start_http_server "$OUT/http-server.log"
AUTH=(--header "Authorization: Bearer $RINGSENSE_MCP_TOKEN")
inspect http-tools-list "$SERVER_URL" "${AUTH[@]}" --method tools/list --strict
inspect http-tools-list-modern "$SERVER_URL" "${AUTH[@]}" -q --protocol-era modern --method tools/list
inspect http-check_permission "$SERVER_URL" "${AUTH[@]}" -q --method tools/call --tool-name check_permission
inspect http-list_recorded_calls-modern "$SERVER_URL" "${AUTH[@]}" -q --protocol-era modern --method tools/call \
    --tool-name list_recorded_calls --tool-args-json '{"limit": 5}'
inspect http-get_insights_by_record "$SERVER_URL" "${AUTH[@]}" -q --method tools/call \
    --tool-name get_insights_by_record --tool-args-json "{\"record_id\": \"$record_id\"}"
inspect http-get_insights_by_session-modern "$SERVER_URL" "${AUTH[@]}" -q --protocol-era modern --method tools/call \
    --tool-name get_insights_by_session --tool-args-json "{\"session_id\": \"$session_id\"}"

# Without the token the Inspector must be refused (401), promptly and without an interactive login.
status=0
timeout "$CALL_TIMEOUT" "$NODE" "$INSPECTOR" --cli "$SERVER_URL" -q --method tools/list \
    >"$OUT/http-no-token.json" 2>"$OUT/http-no-token.err" </dev/null || status=$?
if [ "$status" -eq 0 ] || [ "$status" -eq 124 ] || ! grep -q "auth_required" "$OUT/http-no-token.err"; then
    cat "$OUT/http-no-token.err" >&2
    die "the Inspector without a bearer token should be refused (auth_required), but it exited with $status."
fi
checks=$((checks + 1))
printf 'ok  %-44s (refused, exit %s)\n' "http-no-token" "$status"

stop_http_server
grep -q "revoked the session" "$OUT/http-server.log" || die "the HTTP server did not revoke its token on shutdown."
if grep -qF "$RINGSENSE_MCP_TOKEN" "$OUT/http-server.log"; then
    die "the bearer token appears in the server log."
fi

say "Inspector: $checks checks passed (outputs in ${OUT#"$PWD"/})"
