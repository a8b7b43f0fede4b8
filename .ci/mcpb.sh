#!/usr/bin/env bash
# The MCPB bundle (Claude Desktop's one-click extension) as a user gets it: built and validated with the official
# @anthropic-ai/mcpb CLI (packaging/build-mcpb.sh), unpacked into an empty folder, then started the way Claude
# Desktop starts a `uv` bundle — the manifest's mcp_config with ${__dirname} and ${user_config.*} filled in (sandbox
# mode on, credentials left empty) and a bare environment — and driven by the MCP Inspector CLI: `tools/list` must
# list the manifest's tools, and a tool call must answer. Any failure fails the script.
#
#   bash .ci/mcpb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/npm-tools.sh

INSPECTOR_VERSION="2.12.0"  # as .ci/inspector.sh
START_TIMEOUT=300  # seconds: the first start installs the locked dependencies into the bundle's .venv
CONNECT_TIMEOUT_MS=120000  # the Inspector waits 15 s for a server by default; a first start installs ~40 packages
UNPACKED="$TOOLS_DIR/mcpb-unpacked"
OUT="$TOOLS_DIR/mcpb-results"

say "building the bundle"
bash packaging/build-mcpb.sh
version="$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
BUNDLE="dist/ringsense-mcp-$version.mcpb"
[ -f "$BUNDLE" ] || die "packaging/build-mcpb.sh did not produce $BUNDLE"
node22
npm_tool "$TOOLS_DIR/inspector" @modelcontextprotocol/inspector "$INSPECTOR_VERSION"
INSPECTOR="$TOOLS_DIR/inspector/node_modules/.bin/mcp-inspector"

say "unpacking $BUNDLE with mcpb unpack"
rm -rf "$UNPACKED" "$OUT"
mkdir -p "$UNPACKED" "$OUT"
"$TOOLS_DIR/mcpb/node_modules/.bin/mcpb" unpack "$BUNDLE" "$UNPACKED" >&2
for unwanted in tests bench .ci .venv .tools build dist; do
    [ ! -e "$UNPACKED/$unwanted" ] || die "the bundle contains $unwanted/, which a user does not need"
done

# The command Claude Desktop would run, one argument per line, then the environment as -e NAME=VALUE pairs.
mapfile -t LAUNCH < <(python3 - "$UNPACKED" <<'PY'
import json, re, sys
from pathlib import Path

folder = Path(sys.argv[1])
manifest = json.loads((folder / "manifest.json").read_text())
user = {"sandbox": True}  # what a user who only ticks "Sandbox mode" has; the other fields stay empty
for key, spec in manifest["user_config"].items():
    user.setdefault(key, spec.get("default", ""))

def fill(text):
    text = text.replace("${__dirname}", str(folder))
    value = lambda m: str(user[m[1]]).lower() if isinstance(user[m[1]], bool) else str(user[m[1]])
    return re.sub(r"\$\{user_config\.([a-z_]+)\}", value, text)

config = manifest["server"]["mcp_config"]
assert manifest["server"]["type"] == "uv" and config["command"] == "uv", "a uv bundle runs the host's uv"
for name, template in config["env"].items():
    if value := fill(template):  # the Inspector takes no empty value; the server reads a blank one as unset
        print("-e"); print(f"{name}={value}")
print("uv")
for arg in config["args"]:
    print(fill(arg))
PY
)
echo "launch: ${LAUNCH[*]}" >&2

# Claude Desktop passes only what the manifest sets over a minimal environment; uv keeps its real cache.
UV_CACHE="$(uv cache dir)"
export HOME="$TOOLS_DIR/inspector/home"
mkdir -p "$HOME"
ENV_PASS=(-e "UV_CACHE_DIR=$UV_CACHE")
for name in SSL_CERT_FILE SSL_CERT_DIR HTTPS_PROXY HTTP_PROXY NO_PROXY; do  # how this machine reaches PyPI
    if [ -n "${!name:-}" ]; then ENV_PASS+=(-e "$name=${!name}"); fi
done

say "starting the unpacked bundle as Claude Desktop would; tools/list"
status=0
timeout "$START_TIMEOUT" "$NODE" "$INSPECTOR" --cli --connect-timeout "$CONNECT_TIMEOUT_MS" "${ENV_PASS[@]}" "${LAUNCH[@]}" --method tools/list \
    >"$OUT/tools-list.json" 2>"$OUT/tools-list.err" || status=$?
if [ "$status" -ne 0 ]; then
    cat "$OUT/tools-list.err" "$OUT/tools-list.json" >&2
    die "the bundle's server did not answer tools/list (exit $status; 124 = timed out after ${START_TIMEOUT}s)."
fi
python3 - "$OUT/tools-list.json" "$UNPACKED/manifest.json" <<'PY'
import json, sys

listed = sorted(tool["name"] for tool in json.load(open(sys.argv[1]))["tools"])
declared = sorted(tool["name"] for tool in json.load(open(sys.argv[2]))["tools"])
if listed != declared:
    sys.exit(f"the server lists {listed}, the manifest declares {declared}")
print(f"ok  tools/list: {len(listed)} tools, as the manifest declares")
PY
timeout "$START_TIMEOUT" "$NODE" "$INSPECTOR" --cli --connect-timeout "$CONNECT_TIMEOUT_MS" "${ENV_PASS[@]}" "${LAUNCH[@]}" --method tools/call \
    --tool-name check_permission >"$OUT/check_permission.json" 2>"$OUT/check_permission.err" || status=$?
if [ "$status" -ne 0 ]; then
    cat "$OUT/check_permission.err" "$OUT/check_permission.json" >&2
    die "check_permission through the bundle failed (exit $status)."
fi
grep -q '"granted": true' "$OUT/check_permission.json" || die "check_permission did not report the grant"
echo "ok  tools/call check_permission: granted (sandbox)"

site="$(ls -d "$UNPACKED"/.venv/lib/python3*/site-packages)"
if ls "$site" | grep -qiE '^(pytest|ruff)'; then
    die "the bundle's environment has dev tools installed: $(ls "$site" | grep -iE '^(pytest|ruff)' | tr '\n' ' ')"
fi
echo "ok  the bundle's environment has the runtime dependencies only (no pytest, no ruff)"
say "MCPB bundle: validated, packed, unpacked, started and answered"
