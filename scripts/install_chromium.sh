#!/usr/bin/env bash
# Installs Debian's chromium for the real-browser tests of the fleet page (tests/e2e/fleet_view_test.ts).
# Idempotent: does nothing when a chromium is already on PATH. Waits for a concurrent apt run.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cannot install chromium: no apt-get (install Debian's chromium package yourself)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
for attempt in 1 2 3 4 5 6; do
  if $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium >/dev/null; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt), retrying" >&2
  sleep 10
done
exit 1
