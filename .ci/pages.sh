#!/usr/bin/env bash
# The people's side in CI.
#   .ci/pages.sh browser  installs Debian's Chromium and GNU gettext when missing (the browser
#                         tests and the translation catalog test use them)
#   .ci/pages.sh postman  runs the Postman collection with newman against a fresh dev server
set -euo pipefail
cd "$(dirname "$0")/.."

browser() {
  if [ ! -x /usr/bin/chromium ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  dpkg-query -W chromium
  # GNU gettext: the catalog test runs makemessages on a copy of the sources.
  if ! command -v xgettext >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null
  fi
  dpkg-query -W gettext
}

postman() {
  local work port server_pid status
  work=$(mktemp -d)
  npm install --prefix "$work/npm" --no-audit --no-fund --silent newman@6
  port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # A development server as `make run` starts it: DEBUG on, console SMS, fresh SQLite file.
  export DEBUG=True SMS_BACKEND=users.sms.console.ConsoleBackend
  export DATABASE_URL="sqlite:///$work/db.sqlite3" DJANGO_SETTINGS_MODULE=referral_system.settings.dev
  export REDIS_URL=""  # the in-process store, as with nothing set
  .venv/bin/python manage.py migrate --noinput -v 0
  .venv/bin/python manage.py runserver "127.0.0.1:$port" --noreload >"$work/server.log" 2>&1 &
  server_pid=$!
  .venv/bin/python - "$port" <<'PY'
import sys, time, urllib.request

for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
PY
  # Three runs in a row against the one server: the collection must be repeatable.
  status=0
  for run in 1 2 3; do
    "$work/npm/node_modules/.bin/newman" run ReferralSystemAuthAPI.postman_collection.json \
      --env-var "baseUrl=http://127.0.0.1:$port" --color off \
      --reporters cli,json --reporter-json-export "$work/newman-$run.json" || status=$?
  done
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  .venv/bin/python - "$work"/newman-*.json <<'PY'
import json, sys

for n, path in enumerate(sys.argv[1:], 1):
    stats = json.load(open(path))["run"]["stats"]
    asserted, sent = stats["assertions"], stats["requests"]["total"]
    passed = asserted["total"] - asserted["failed"]
    print(f"newman run {n}: {passed} passed, {asserted['failed']} failed ({sent} requests)")
PY
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$work/server.log"
  fi
  rm -rf "$work"
  return "$status"
}

"${1:?usage: .ci/pages.sh browser|postman}"
