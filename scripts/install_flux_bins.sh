#!/usr/bin/env bash
# Builds the real Flux controllers the sandbox runs behind each cluster's flux-system
# Deployments: source-controller and kustomize-controller, at every Flux version vendored in
# third_party/flux/ (the versions are read from each third_party/flux/<flux2>/PROVENANCE).
# Idempotent: binaries are cached outside the repo and reused.
#
#   LATTICE_FLUX_BIN=/dir   use existing binaries from /dir (named <component>-<version>)
#   LATTICE_CACHE=/dir      cache root (default ~/.cache/lattice)
#   LATTICE_FLUX_ONLY=v2.9.3  build only that Flux release
#
# Each controller is built from its Go module (github.com/fluxcd/<component>@<version>): the
# module's source is copied out of the module cache, its local `replace ./api` is dropped
# (the api module is published at the same version) and it is built inside. Prints the
# directory holding the binaries as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${LATTICE_CACHE:-$HOME/.cache/lattice}"
# The -r suffix changes when the way the binaries are built changes.
OUT="${LATTICE_FLUX_BIN:-$CACHE/bin/flux-r1}"
mkdir -p "$OUT"

# Each line of a PROVENANCE file "component <name> <module>@<version>" names one binary.
wanted() {
  local dir
  for dir in third_party/flux/*/; do
    local release
    release="$(basename "$dir")"
    if [ -n "${LATTICE_FLUX_ONLY:-}" ] && [ "$release" != "$LATTICE_FLUX_ONLY" ]; then continue; fi
    sed -n 's/^component \([a-z-]*\) [^@]*@\(v[0-9.]*\)$/\1 \2/p' "$dir/PROVENANCE"
  done | sort -u
}

build() {
  local component="$1" version="$2" target="$3"
  command -v go >/dev/null || { echo "error: Go is needed to build the Flux controllers (https://go.dev/dl)" >&2; exit 1; }
  local work src
  work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work'" RETURN
  src="$(cd "$work" && go mod download -json "github.com/fluxcd/$component@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [ -n "$src" ] || { echo "error: cannot download github.com/fluxcd/$component@$version" >&2; return 1; }
  cp -r "$src" "$work/src"
  chmod -R u+w "$work/src"
  # Local replaces (./api) point into the repo, which a module zip does not hold as a module:
  # the published module at the same version is what they stand for.
  local mod
  for mod in $(sed -n 's/^replace \([^ ]*\) => \.\/.*/\1/p' "$work/src/go.mod"); do
    (cd "$work/src" && go mod edit -dropreplace="$mod" -require="$mod@$version")
  done
  (cd "$work/src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$target.tmp" .)
  mv "$target.tmp" "$target"
}

start=$(date +%s)
built=0
while read -r component version; do
  [ -n "$component" ] || continue
  target="$OUT/$component-$version"
  if [ -x "$target" ]; then continue; fi
  if [ -n "${LATTICE_FLUX_BIN:-}" ]; then
    echo "error: $LATTICE_FLUX_BIN lacks $component-$version" >&2
    exit 1
  fi
  echo "building $component $version (first time only; about 2 minutes) ..." >&2
  build "$component" "$version" "$target"
  built=$((built + 1))
done < <(wanted)
end=$(date +%s)
[ "$built" -eq 0 ] && echo "using cached Flux controllers in $OUT" >&2 ||
  echo "built $built Flux controller(s) into $OUT in $((end - start))s" >&2
echo "$OUT"
