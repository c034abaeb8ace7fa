#!/usr/bin/env bash
# System packages the test suite uses that npm cannot provide: Chromium (the report test renders
# the HTML report headless) and PostgreSQL (the test setup starts a throwaway cluster of it for the
# PostgreSQL storage tests; no server of the package is needed). Installs only what is missing, only
# as root, and never fails the caller: tests that need a missing tool say so and skip.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  need+=(postgresql)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: not root; missing: ${need[*]} (install them with apt-get for the full test suite)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || echo "install-system-deps: could not install ${need[*]}; the tests that need them will skip"
exit 0
