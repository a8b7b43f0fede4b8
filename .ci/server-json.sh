#!/usr/bin/env bash
# server.json (the MCP Registry entry) validated against the official server.json schema, version 2025-12-11.
#
# The schema is not published by its owners on PyPI or npm (the registry's mcp-publisher is a Go binary released
# on GitHub), and its $schema URL is not reachable from CI. The PyPI package skillsaw bundles the released
# schemas; its copy of 2025-12-11 is byte-for-byte the official file (modelcontextprotocol/static, commit
# a9ba437), which the SHA-256 below pins: a changed copy fails this check instead of validating against it.
#
#   bash .ci/server-json.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SKILLSAW_VERSION="0.22.0"
SCHEMA_VERSION="2025-12-11"
SCHEMA_SHA256="3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"

echo "validating server.json against the $SCHEMA_VERSION server.json schema (from skillsaw $SKILLSAW_VERSION on PyPI)" >&2
uv run --no-project --quiet --with "skillsaw==$SKILLSAW_VERSION" python - server.json "$SCHEMA_VERSION" \
    "$SCHEMA_SHA256" <<'PY'
import hashlib
import importlib.resources
import json
import sys

from jsonschema import Draft7Validator, FormatChecker

path, version, expected_sha256 = sys.argv[1:]
resource = importlib.resources.files("skillsaw.schemas.mcp_registry") / f"v{version.replace('-', '_')}"
raw = (resource / "server.schema.json").read_bytes()
if hashlib.sha256(raw).hexdigest() != expected_sha256:
    sys.exit(f"the bundled {version} schema is not the official file (SHA-256 differs); refusing to validate")
schema = json.loads(raw)
document = json.loads(open(path, encoding="utf-8").read())
if document.get("$schema") != f"https://static.modelcontextprotocol.io/schemas/{version}/server.schema.json":
    sys.exit(f"{path} declares $schema {document.get('$schema')!r}, not the {version} schema")
errors = sorted(Draft7Validator(schema, format_checker=FormatChecker()).iter_errors(document), key=str)
for error in errors:
    where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
    print(f"{path}: {where}: {error.message}", file=sys.stderr)
if errors:
    sys.exit(f"{path}: {len(errors)} schema error(s)")
print(f"ok  {path} is valid against the official {version} server.json schema")
PY

# skillsaw's own rules add the Registry's publishing constraints on top of the schema (reverse-DNS namespace,
# exact package versions, ...). They lint a folder; give it only what a registry entry is about.
lint_dir="$(mktemp -d)"
trap 'rm -rf "$lint_dir"' EXIT
cp server.json pyproject.toml README.md "$lint_dir/"
uv run --no-project --quiet --with "skillsaw==$SKILLSAW_VERSION" skillsaw lint "$lint_dir" >"$lint_dir/lint.txt" 2>&1 || {
    cat "$lint_dir/lint.txt" >&2
    echo "ERROR: skillsaw found problems in server.json (above)." >&2
    exit 1
}
grep -q "Repo type: mcp-registry" "$lint_dir/lint.txt" || { cat "$lint_dir/lint.txt" >&2; exit 1; }
echo "ok  server.json passes the MCP Registry publishing rules of skillsaw $SKILLSAW_VERSION"
