#!/usr/bin/env bash
# Obtains helm at the version Lattice's chart is checked with (charts/lattice: lint,
# `helm template` against manifests/, install into a real apiserver). Idempotent: the binary
# is built once from the helm.sh/helm/v4 Go module and cached outside the repo.
#
#   LATTICE_HELM=/path/helm  use an existing binary
#   LATTICE_CACHE=/dir       cache root (default ~/.cache/lattice)
#
# Prints the path of the binary as its last line.
set -euo pipefail

HELM_VERSION="${LATTICE_HELM_VERSION:-v4.3.2}"
CACHE="${LATTICE_CACHE:-$HOME/.cache/lattice}"
# The -r suffix changes when the way the binary is built changes.
OUT="$CACHE/bin/helm-$HELM_VERSION-r1"
BIN="$OUT/helm"

if [ -n "${LATTICE_HELM:-}" ]; then
  if [ -x "$LATTICE_HELM" ]; then
    echo "using existing helm $LATTICE_HELM" >&2
    echo "$LATTICE_HELM"
    exit 0
  fi
  echo "error: LATTICE_HELM=$LATTICE_HELM is not an executable" >&2
  exit 1
fi

if [ -x "$BIN" ]; then
  echo "using cached helm $HELM_VERSION in $OUT" >&2
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { echo "error: Go is needed to build helm (https://go.dev/dl)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
start=$(date +%s)
echo "building helm $HELM_VERSION (first time only; a few minutes) ..." >&2
mkdir -p "$OUT"
pkg=helm.sh/helm/v4/internal/version
ld="-s -w -X $pkg.version=$HELM_VERSION -X $pkg.gitTreeState=clean"
GOBIN="$work/bin" CGO_ENABLED=0 go install -trimpath -ldflags="$ld" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
mv "$work/bin/helm" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
end=$(date +%s)
echo "built helm $HELM_VERSION into $OUT in $((end - start))s" >&2
echo "$BIN"
