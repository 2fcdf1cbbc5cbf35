#!/usr/bin/env bash
# Obtains clusterctl at the Cluster API version Lattice pins, for the tests that use it as a
# real client (`clusterctl describe cluster`, `clusterctl move --dry-run`) against sandbox
# clusters. Idempotent: the binary is cached outside the repo, next to kubectl.
#
#   LATTICE_CLUSTERCTL=/path/clusterctl  use an existing binary
#   LATTICE_CACHE=/dir                   cache root (default ~/.cache/lattice)
#
# Without those, clusterctl is built from the sigs.k8s.io/cluster-api Go module. That module
# replaces sigs.k8s.io/cluster-api/api with its local ./api folder, so it cannot be
# `go install`ed: its source is copied out of the module cache, the local replace is dropped
# and the published sigs.k8s.io/cluster-api/api module at the same version is required.
# Prints the path of the binary as its last line.
set -euo pipefail

CAPI_VERSION="${LATTICE_CAPI_VERSION:-v1.14.0}"
CACHE="${LATTICE_CACHE:-$HOME/.cache/lattice}"
# The -r suffix changes when the way the binary is built changes.
OUT="$CACHE/bin/clusterctl-$CAPI_VERSION-r1"
BIN="$OUT/clusterctl"

if [ -n "${LATTICE_CLUSTERCTL:-}" ]; then
  if [ -x "$LATTICE_CLUSTERCTL" ]; then
    echo "using existing clusterctl $LATTICE_CLUSTERCTL" >&2
    echo "$LATTICE_CLUSTERCTL"
    exit 0
  fi
  echo "error: LATTICE_CLUSTERCTL=$LATTICE_CLUSTERCTL is not an executable" >&2
  exit 1
fi

if [ -x "$BIN" ]; then
  echo "using cached clusterctl $CAPI_VERSION in $OUT" >&2
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { echo "error: Go is needed to build clusterctl (https://go.dev/dl)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
start=$(date +%s)
echo "building clusterctl $CAPI_VERSION (first time only; a few minutes) ..." >&2

src_dir="$(cd "$work" && go mod download -json "sigs.k8s.io/cluster-api@$CAPI_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
[ -d "$src_dir" ] || { echo "error: cannot download sigs.k8s.io/cluster-api@$CAPI_VERSION" >&2; exit 1; }
mod="$work/cluster-api"
cp -r "$src_dir" "$mod"
chmod -R u+w "$mod"
# Drop every local-path replace; require the published api module at the same version.
sed -i -E '/^replace .* => \.\.?\//d' "$mod/go.mod"
(cd "$mod" && go mod edit -require="sigs.k8s.io/cluster-api/api@$CAPI_VERSION")
(cd "$mod" && GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true)

major="${CAPI_VERSION#v}"; major="${major%%.*}"
minor="${CAPI_VERSION#v*.}"; minor="${minor%%.*}"
pkg=sigs.k8s.io/cluster-api/version
ld="-s -w -X $pkg.gitVersion=$CAPI_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
ld="$ld -X $pkg.gitTreeState=clean"
mkdir -p "$OUT"
(cd "$mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="$ld" -o "$BIN.tmp" ./cmd/clusterctl)
mv "$BIN.tmp" "$BIN"
end=$(date +%s)
echo "built clusterctl $CAPI_VERSION into $OUT in $((end - start))s" >&2
echo "$BIN"
