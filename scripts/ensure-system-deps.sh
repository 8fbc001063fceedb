#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing:
# PostgreSQL (a throwaway server per run), Chromium (browser journeys) and npm
# (axe-core for the accessibility checks) and Redis (RQ jobs, the scheduled sweep and
# shared rate limits, each against a throwaway server).
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-liberation)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ldconfig -p 2>/dev/null | grep -q 'libmagic.so.1 ' || missing+=(libmagic1)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need these system packages: ${missing[*]}" >&2
  echo "Install them (Debian: sudo apt-get install -y ${missing[*]}) and run make test again." >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
