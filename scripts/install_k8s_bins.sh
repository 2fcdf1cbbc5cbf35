#!/usr/bin/env bash
# Obtains the control-plane binaries the tests and the sandbox run: etcd, kube-apiserver and
# kubectl. Idempotent: binaries are cached outside the repo and reused.
#
#   LATTICE_K8S_BIN=/dir     use existing binaries from /dir (etcd, kube-apiserver, kubectl)
#   KUBEBUILDER_ASSETS=/dir  same, for setup-envtest users
#   LATTICE_CACHE=/dir       cache root (default ~/.cache/lattice)
#
# Without those, kube-apiserver and kubectl are built from Go modules at one pinned
# Kubernetes version (a wrapper module that requires k8s.io/kubernetes and maps its staging
# modules to their published v0.x versions), and etcd from go.etcd.io/etcd/server/v3.
# Prints the directory holding the binaries as its last line.
set -euo pipefail

K8S_VERSION="${LATTICE_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${LATTICE_ETCD_VERSION:-v3.6.5}"
CACHE="${LATTICE_CACHE:-$HOME/.cache/lattice}"
# The -r suffix changes when the way the binaries are built changes.
OUT="$CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-r2"

have_all() {
  [ -x "$1/etcd" ] && [ -x "$1/kube-apiserver" ] && [ -x "$1/kubectl" ]
}

for dir in "${LATTICE_K8S_BIN:-}" "${KUBEBUILDER_ASSETS:-}"; do
  if [ -n "$dir" ]; then
    if have_all "$dir"; then
      echo "using existing binaries in $dir" >&2
      echo "$dir"
      exit 0
    fi
    echo "error: $dir lacks one of etcd, kube-apiserver, kubectl" >&2
    exit 1
  fi
done

if have_all "$OUT"; then
  echo "using cached etcd $ETCD_VERSION, kube-apiserver and kubectl $K8S_VERSION in $OUT" >&2
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { echo "error: Go is needed to build the control-plane binaries (https://go.dev/dl)" >&2; exit 1; }
mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

build_k8s() {
  local mod="$work/k8s"
  mkdir -p "$mod"
  local minor="v0.${K8S_VERSION#v1.}"
  local gomod
  gomod="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  {
    echo "module lattice.dev/k8sbins"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    # Every staging module the kubernetes go.mod replaces with a local path is mapped to
    # its published version, which is what the wrapper can download.
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" |
      awk -v v="$minor" '{print "replace " $1 " => " $1 " " v}'
  } >"$mod/go.mod"
  cat >"$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$mod" && GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true)
  # Stamp the version the way the Kubernetes release build does, so /version, kubectl
  # version and the apiserver's compatibility version report the real release.
  local major minor_n
  major="${K8S_VERSION#v}"; major="${major%%.*}"
  minor_n="${K8S_VERSION#v*.}"; minor_n="${minor_n%%.*}"
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor_n"
    ld="$ld -X $pkg.gitTreeState=clean"
  done
  (cd "$mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="$ld" -o "$OUT/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  (cd "$mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="$ld" -o "$OUT/kubectl" k8s.io/kubernetes/cmd/kubectl)
}

build_etcd() {
  local mod="$work/etcd"
  mkdir -p "$mod"
  cat >"$mod/go.mod" <<GOMOD
module lattice.dev/etcdbin

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat >"$mod/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  (cd "$mod" && GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true)
  (cd "$mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3)
}

[ -x "$OUT/etcd" ] || { echo "building etcd $ETCD_VERSION ..." >&2; build_etcd; }
if [ ! -x "$OUT/kube-apiserver" ] || [ ! -x "$OUT/kubectl" ]; then
  echo "building kube-apiserver and kubectl $K8S_VERSION (first time only; several minutes) ..." >&2
  build_k8s
fi
end=$(date +%s)
echo "built etcd $ETCD_VERSION, kube-apiserver and kubectl $K8S_VERSION into $OUT in $((end - start))s" >&2
echo "$OUT"
