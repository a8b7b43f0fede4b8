#!/usr/bin/env bash
# Build the MCPB bundle, Claude Desktop's one-click extension: dist/ringsense-mcp-<version>.mcpb.
#
#   bash packaging/build-mcpb.sh       # from anywhere; needs npm (for the pinned mcpb CLI) and python3
#
# The bundle is the `uv` server type of the MCPB spec: packaging/mcpb/manifest.json, pyproject.toml, uv.lock,
# README.md, LICENSE and the server/ and tools/ sources. The host runs
# `uv run --directory <bundle> --no-dev --frozen ringsense-mcp serve`, so the locked runtime dependencies are
# installed on first start and nothing is vendored. The official CLI validates the manifest and packs the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/npm-tools.sh

MCPB_VERSION="2.1.2"
STAGE="build/mcpb"

node22
npm_tool "$TOOLS_DIR/mcpb" @anthropic-ai/mcpb "$MCPB_VERSION"
MCPB="$TOOLS_DIR/mcpb/node_modules/.bin/mcpb"

version="$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
manifest_version="$(python3 -c 'import json; print(json.load(open("packaging/mcpb/manifest.json"))["version"])')"
[ "$version" = "$manifest_version" ] || die "packaging/mcpb/manifest.json says version $manifest_version, \
pyproject.toml says $version: make them agree."

rm -rf "$STAGE"
mkdir -p "$STAGE" dist
cp packaging/mcpb/manifest.json pyproject.toml uv.lock README.md LICENSE "$STAGE/"
tar -c --exclude='__pycache__' --exclude='*.pyc' server tools | tar -x -C "$STAGE"

"$MCPB" validate "$STAGE/manifest.json"
out="dist/ringsense-mcp-$version.mcpb"
rm -f "$out"
"$MCPB" pack "$STAGE" "$out"
echo "built $out" >&2
