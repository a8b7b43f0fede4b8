#!/usr/bin/env bash
# The official MCP conformance suite (@modelcontextprotocol/conformance) against
# `ringsense-mcp serve --transport http --sandbox`, for every spec version the suite knows, gated by
# .ci/conformance-baseline.yml (per-check expected failures; anything else fails this script).
#
#   bash .ci/conformance.sh            # from the repository root; installs into .tools/ once, then reuses it
#
# Results per spec version: .tools/conformance-results/<spec-version>/<scenario>/checks.json
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/npm-tools.sh

CONFORMANCE_VERSION="0.2.0-alpha.11"  # the version the Python SDK's own CI pins; 0.1.x knows no 2026-07-28
SPEC_VERSIONS=("2025-11-25" "2026-07-28")
BASELINE=".ci/conformance-baseline.yml"
RESULTS="$TOOLS_DIR/conformance-results"
SUITE_TIMEOUT=600  # seconds for one full-suite run

say "installing Node $NODE_VERSION and @modelcontextprotocol/conformance@$CONFORMANCE_VERSION"
node22
npm_tool "$TOOLS_DIR/conformance" @modelcontextprotocol/conformance "$CONFORMANCE_VERSION"
CONFORMANCE="$TOOLS_DIR/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js"
[ -f "$CONFORMANCE" ] || die "the conformance CLI is missing at $CONFORMANCE"

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
trap stop_http_server EXIT

say "starting the server (sandbox data, loopback, no bearer token: the suite cannot send one)"
# The suite speaks plain HTTP to loopback without credentials; an inherited token would make every check a 401.
unset RINGSENSE_MCP_TOKEN
start_http_server "$RESULTS/server.log"

failed=()
for spec in "${SPEC_VERSIONS[@]}"; do
    say "conformance suite: --suite all --spec-version $spec"
    status=0
    timeout "$SUITE_TIMEOUT" "$NODE" "$CONFORMANCE" server --url "$SERVER_URL" --suite all --spec-version "$spec" \
        --expected-failures "$BASELINE" -o "$RESULTS/$spec" >"$RESULTS/$spec.log" 2>&1 || status=$?
    # The per-scenario progress lines are noise; the summary and the baseline verdict are what matter.
    sed -n '/=== SUMMARY ===/,$p' "$RESULTS/$spec.log"
    if [ "$status" -ne 0 ]; then
        failed+=("$spec (exit $status)")
        grep -q "=== SUMMARY ===" "$RESULTS/$spec.log" || tail -n 40 "$RESULTS/$spec.log"
    fi
done

stop_http_server

say "results in ${RESULTS#"$PWD"/}"
if [ "${#failed[@]}" -ne 0 ]; then
    die "conformance FAILED: ${failed[*]}. A failure outside $BASELINE is a regression; a baseline entry that \
now passes is stale and must be removed."
fi
echo "conformance passed for ${SPEC_VERSIONS[*]} (only baselined checks failed)."
