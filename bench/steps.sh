#!/usr/bin/env bash
# The profile read built up one step at a time, under wrk load: what each piece costs.
# Needs a seeded database (make bench leaves bench_db) and wrk.
#
#   bench/steps.sh [USER_ID]        # default 100,003, an ordinary user; 1 has 100,000 referrals
#
# Serves the production settings plus bench/steps_urls.py's probe views with granian
# (2 workers x THREADS threads, default 1), then runs each path for 2 s at 16 connections, in
# three rounds, and prints req/s and the CPU time per request it implies (2 cores / req/s);
# differences between neighbours are what the step added.
set -euo pipefail
cd "$(dirname "$0")/.."
USER_ID=${1:-100003}
PORT=${PORT:-18401}
# shellcheck source=bench/serve.sh
. bench/serve.sh
serve bench.steps_settings "$PORT" "${THREADS:-1}"
TOKEN=$(token "$USER_ID")
PATHS=(/healthz /steps/bare/ /steps/token/ /steps/round-trip/ "/steps/read/?user=$USER_ID"
  "/steps/read-json/?user=$USER_ID" /api/profile/)
for p in "${PATHS[@]}"; do  # each must answer 200 before it is timed
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$p")
  [ "$code" = 200 ] || { echo "$p answered $code" >&2; exit 1; }
done
wrk -t2 -c16 -d2s "http://127.0.0.1:$PORT/healthz" >/dev/null  # warm up
for round in 1 2 3; do
  for p in "${PATHS[@]}"; do
    rps=$(wrk -t2 -c16 -d2s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$p" |
      awk '/Requests\/sec/{print $2}')
    echo "$round $p $rps"
  done
done | awk '{rps[$2] += $3; n[$2]++; if (!($2 in seen)) {order[++k] = $2; seen[$2]}}
  END {printf "%-34s %10s %14s\n", "path", "req/s", "us/request";
       for (i = 1; i <= k; i++) {p = order[i]; r = rps[p] / n[p];
         printf "%-34s %10.1f %14.1f\n", p, r, 2e6 / r}}'
