#!/usr/bin/env bash
# CPU per request of each process (server, PostgreSQL, ...) under wrk load: where a request's
# cost goes, which req/s alone does not say. Needs a seeded database (make bench leaves
# bench_db) and wrk.
#
#   bench/cpu_split.sh [PATH] [USER_ID]      # default: /api/profile/ as user 100,003
#   THREADS=4 SECONDS_=6 bench/cpu_split.sh /healthz
#
# Prints req/s, then user and system CPU ms per request for each process name that used any.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH_=${1:-/api/profile/}
USER_ID=${2:-100003}
PORT=${PORT:-18400}
# shellcheck source=bench/serve.sh
. bench/serve.sh
serve referral_system.settings.production "$PORT" "${THREADS:-2}"
TOKEN=$(token "$USER_ID")
snapshot() {  # process name, user and system clock ticks, summed over processes of that name
  for p in /proc/[0-9]*; do
    name=$(cat "$p/comm" 2>/dev/null) || continue
    stat=$(sed 's/.*) //' "$p/stat" 2>/dev/null) || continue
    read -r -a f <<<"$stat"
    echo "$name ${f[11]} ${f[12]}"
  done | awk '{u[$1]+=$2; s[$1]+=$3} END {for (k in u) print k, u[k], s[k]}' | sort
}
URL="http://127.0.0.1:$PORT$PATH_"
wrk -t2 -c16 -d3s -H "Authorization: Bearer $TOKEN" "$URL" >/dev/null  # warm up
snapshot >"${TMPDIR:-/tmp}/cpu_split.0"
OUT=$(wrk -t2 -c16 -d"${SECONDS_:-6}"s -H "Authorization: Bearer $TOKEN" "$URL")
snapshot >"${TMPDIR:-/tmp}/cpu_split.1"
N=$(echo "$OUT" | awk '/requests in/{print $1}')
echo "$OUT" | grep 'Requests/sec'
TICK=$(getconf CLK_TCK)
join "${TMPDIR:-/tmp}/cpu_split.0" "${TMPDIR:-/tmp}/cpu_split.1" | awk -v n="$N" -v hz="$TICK" \
  '{du=$4-$2; ds=$5-$3; if (du+ds>0) printf "%-14s user %.3f  sys %.3f  ms/request\n", $1, du*1000/hz/n, ds*1000/hz/n}'
