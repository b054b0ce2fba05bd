#!/usr/bin/env bash
# CI: the benchmark on small data (bench/README.md). It fails on any 5xx, unexpected status or
# socket error, never on speed: the figures are notes, not assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
printf '\n==== %s ====\n' "benchmark, small data (make bench-ci)"
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
make bench-ci
