#!/usr/bin/env bash
# Install Debian packages that are missing, without letting them start their services (a
# pgbouncer or redis-sentinel of the package's own would take the default ports): the tests
# start their own on loopback ports. Usage: .ci/apt-install.sh COMMAND:PACKAGE ...
# (APT_NO_RECOMMENDS=1: without the packages' recommendations.)
set -euo pipefail
missing=()
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  own_policy=1
fi
trap 'if [ -n "$own_policy" ]; then rm -f "$policy"; fi' EXIT
apt-get update -qq -o DPkg::Lock::Timeout=300
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
  ${APT_NO_RECOMMENDS:+--no-install-recommends} "${missing[@]}"
