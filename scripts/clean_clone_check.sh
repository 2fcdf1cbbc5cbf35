#!/usr/bin/env bash
# Proves the repository stands alone: clones this checkout's HEAD into an empty temporary
# folder (no sibling folders of any kind), then there
#   1. checks that nothing in lib/, tests/, bench/ or scripts/ names a path outside the repo,
#   2. checks the vendored upstream CRDs offline (generate --check),
#   3. runs `deno task test:unit` with NO control-plane binaries (LATTICE_K8S_BIN is an
#      empty folder), so no unit test may start kube-apiserver,
#   4. runs one sandbox-backed integration test (the real binaries, vendored CRDs only).
# Usage: bash scripts/clean_clone_check.sh   (from anywhere inside the checkout)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/lattice-clean-clone.XXXXXX")"
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-hardlinks "$src" "$work/p"
cd "$work/p"
echo "clean clone of $(git rev-parse --short HEAD) in $work/p ($(ls "$work" | wc -l) entry beside it)"

if grep -rnE '[.][.]/shar[e]d|shar[e]d/crds' lib tests bench scripts; then
  echo "a file above names a path outside the repository"; exit 1
fi
deno run -A scripts/generate.ts --check
mkdir -p "$work/no-binaries"
LATTICE_K8S_BIN="$work/no-binaries" deno task test:unit
deno test -A tests/integration/seed_leaf_test.ts
echo "clean clone: ok"
