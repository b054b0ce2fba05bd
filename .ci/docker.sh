#!/usr/bin/env bash
# CI for the Docker path, on a real engine: builds every image, starts the real
# docker-compose.yml (plus .ci/docker-compose.ci.yml) with `up --wait`, and proves over HTTP,
# through the nginx proxy: /healthz, /readyz, Swagger UI and its static files, whole logins
# (API and HTML pages) with codes read from `docker compose logs app`, an invite activation,
# the body limits, 50 slow clients while /healthz and the profile keep p99 under 1 s, an app
# restart and the TLS step with the data kept, and `down -v`. Prints what it proved and how
# long each step took.
#
# The engine is Debian's docker.io, started here with a data root, exec root and socket of
# its own, no bridge and no iptables changes (every container uses the host's network, on
# 127.0.0.1 and ports 19xxx), and stopped on exit. Base images are made here from Debian's
# packages (.ci/standins/build.sh): no container registry can be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n==== docker: %s ====\n' "$*"; }
STEP_START=$SECONDS
FIGURES=()
took() {  # took NAME: records how long the step since the last call took
  FIGURES+=("$(printf '%-34s %4d s' "$1" $((SECONDS - STEP_START)))")
  STEP_START=$SECONDS
}

WORK=$(mktemp -d /tmp/rs-docker.XXXXXX)
export DOCKER_HOST="unix://$WORK/docker.sock"
PROJECT=rsci$$
PROXY=http://127.0.0.1:19880
APP_DIRECT=http://127.0.0.1:19800
DOCKERD_PID=
SERVICES_PID=
STACK_UP=

cleanup() {
  local status=$?
  set +e
  if [ -n "$SERVICES_PID" ]; then kill "$SERVICES_PID" 2>/dev/null; wait "$SERVICES_PID"; fi
  if [ -n "$STACK_UP" ]; then
    if [ "$status" -ne 0 ]; then
      echo "---- the stack's logs (last 40 lines a service) ----"
      dc logs --no-color --tail 40 2>&1
    fi
    timeout 60 "$COMPOSE" -p "$PROJECT" "${COMPOSE_FILES[@]}" down -v --timeout 5 >/dev/null 2>&1
  fi
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 40); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$DOCKERD_PID" 2>/dev/null
    # dockerd's own containerd, if dockerd died before it could stop it.
    if [ -f "$WORK/exec/containerd/containerd.pid" ]; then
      kill "$(cat "$WORK/exec/containerd/containerd.pid")" 2>/dev/null
    fi
  fi
  # What the engine leaves mounted under its roots (the netns bind mount, overlays, shm).
  grep -o " $WORK/[^ ]*" /proc/mounts | sort -r | while read -r mnt; do umount -l "$mnt"; done
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT

log "engine"
# apt-install.sh keeps docker.io from starting Debian's default daemon (policy-rc.d).
APT_NO_RECOMMENDS=1 bash .ci/apt-install.sh \
  dockerd:docker.io mmdebstrap:mmdebstrap eatmydata:eatmydata >/dev/null
mkdir -p "$WORK/data" "$WORK/exec"
dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" --host "$DOCKER_HOST" \
  --pidfile "$WORK/dockerd.pid" --bridge=none --iptables=false --ip6tables=false \
  --ip-masq=false --ip-forward=false --containerd-namespace "$PROJECT" \
  --containerd-plugins-namespace "$PROJECT-plugins" >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
docker version >/dev/null 2>&1 || { tail -20 "$WORK/dockerd.log"; exit 1; }
docker version --format 'engine {{.Server.Version}} (API {{.Server.APIVersion}}), client {{.Client.Version}}'
python3 -m venv "$WORK/compose"
"$WORK/compose/bin/pip" install --quiet --require-hashes -r .ci/requirements-compose.txt 2>&1 |
  { grep -v 'is ignored: it is neither' || true; }
COMPOSE=$WORK/compose/bin/docker-compose
"$COMPOSE" version
took "engine and compose"

log "base images (stand-ins from Debian's packages) and the app's image"
# PostgreSQL's, Redis's and nginx's are made while the app's image builds on Python's.
bash .ci/standins/build.sh services "$WORK/standins" >"$WORK/services.log" 2>&1 &
SERVICES_PID=$!
bash .ci/standins/build.sh python "$WORK/standins"
took "python:3.12-slim stand-in"

# The settings the stack gets: `make env`'s file, fresh random secrets.
ENV_FILE=$WORK/ci.env
make --no-print-directory env ENV_FILE="$ENV_FILE"
export CI_ENV_FILE=$ENV_FILE
COMPOSE_FILES=(--env-file "$ENV_FILE" -f docker-compose.yml -f .ci/docker-compose.ci.yml)
dc() { "$COMPOSE" -p "$PROJECT" "${COMPOSE_FILES[@]}" "$@"; }

dc build --quiet >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
took "app image build"
wait "$SERVICES_PID" || { cat "$WORK/services.log"; exit 1; }
SERVICES_PID=
tail -1 "$WORK/services.log"
took "other stand-ins (the rest)"
SIZE=$(docker image inspect -f '{{.Size}}' referral-system:latest)
SIZE_MB=$((SIZE / 1000 / 1000))
echo "referral-system:latest: $SIZE_MB MB"
[ "$SIZE_MB" -le 250 ] || { echo "the image is over 250 MB" >&2; exit 1; }
USER_ID=$(docker image inspect -f '{{.Config.User}}' referral-system:latest)
[ "$USER_ID" = "10001:10001" ] || { echo "the image runs as '$USER_ID'" >&2; exit 1; }

log "up --wait"
STACK_UP=1
dc up --detach --wait --wait-timeout 180 --quiet-pull 2>&1 | { grep -E 'Error|error' || true; }
dc ps --format '{{.Service}}: {{.Status}}'
took "compose up --wait"

log "over HTTP, through the proxy"
BODY=$WORK/body
expect() {  # expect STATUS METHOD PATH [curl args...]: the body lands in $BODY
  local want=$1 method=$2 path=$3; shift 3
  local got
  got=$(curl -sS -o "$BODY" -w '%{http_code}' -X "$method" "$@" "$PROXY$path")
  printf '%s %s -> %s %s\n' "$method" "$path" "$got" "$(head -c 150 "$BODY" | tr '\n' ' ')"
  [ "$got" = "$want" ] || { echo "expected $want" >&2; exit 1; }
}
json() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))$1)" "$BODY"; }
JSON=(-H 'Content-Type: application/json')

expect 200 GET /healthz
expect 200 GET /readyz
[ "$(json "['checks']")" = "{'database': 'ok', 'cache': 'ok'}" ]
expect 200 GET /swagger/
BUNDLE=$(grep -o 'static/drf-yasg/swagger-ui-dist/swagger-ui-bundle\.[0-9a-f]*\.js' "$BODY" | head -1)
[ -n "$BUNDLE" ]
expect 200 GET "/$BUNDLE" -D "$WORK/headers" -H 'Accept-Encoding: gzip'
grep -qi '^cache-control: max-age=315360000, public, immutable' "$WORK/headers"
grep -qi '^content-encoding: gzip' "$WORK/headers"
echo "Swagger UI's bundle: $BUNDLE, gzip, immutable for a year"

code_for() {  # code_for PHONE: the last code the console SMS backend printed for PHONE
  local code
  for _ in $(seq 20); do
    code=$(dc logs --no-color --no-log-prefix app 2>/dev/null |
      grep -F "[SMS to $1]" | tail -1 | grep -o '[0-9]\{6\}$' || true)
    [ -n "$code" ] && break
    sleep 0.25
  done
  [ -n "$code" ] || { echo "no code for $1 in the app's log" >&2; exit 1; }
  echo "code for $1 read from \`docker compose logs app\`" >&2
  echo "$code"
}
login() {  # login PHONE: sends a code, reads it from the app's log, verifies; prints the access token
  local phone=$1 code
  expect 200 POST /api/auth/send-code/ "${JSON[@]}" -d "{\"phone_number\": \"$phone\"}" >&2
  code=$(code_for "$phone")
  expect 200 POST /api/auth/verify-code/ "${JSON[@]}" \
    -d "{\"phone_number\": \"$phone\", \"auth_code\": \"$code\"}" >&2
  json "['access']"
}
ALICE=$(login +79990000001)
BOB=$(login +79990000002)
expect 200 GET /api/profile/ -H "Authorization: Bearer $ALICE"
ALICE_CODE=$(json "['invite_code']")
expect 200 POST /api/profile/invite/ "${JSON[@]}" -H "Authorization: Bearer $BOB" \
  -d "{\"invite_code\": \"$ALICE_CODE\"}"
expect 200 GET /api/profile/ -H "Authorization: Bearer $ALICE"
[ "$(json "['referrals']")" = "['+79990000002']" ]
echo "login of two users, Bob activated Alice's code $ALICE_CODE, Alice's referrals: +79990000002"

# A person on the HTML pages over plain HTTP, as a browser does it: cookies, CSRF token,
# Origin header; the session cookie must come back for the profile page to show.
JAR=$WORK/cookies
page() {  # page METHOD PATH [curl args...]: prints "STATUS REDIRECT", the body lands in $BODY
  local method=$1 path=$2; shift 2
  curl -sS -c "$JAR" -b "$JAR" -o "$BODY" -w '%{http_code} %{redirect_url}' -X "$method" \
    -H "Origin: $PROXY" -H "Referer: $PROXY$path" "$@" "$PROXY$path"
}
csrf() { grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' "$BODY" | head -1 | cut -d'"' -f4; }
[ "$(page GET /)" = "200 " ]
got=$(page POST / --data-urlencode "csrfmiddlewaretoken=$(csrf)" \
  --data-urlencode "phone_number=+79990000003")
echo "page POST / (phone) -> $got"
[ "${got%% *}" = 302 ]
CAROL_CODE=$(code_for +79990000003)
[ "$(page GET /code/)" = "200 " ]
got=$(page POST /code/ --data-urlencode "csrfmiddlewaretoken=$(csrf)" \
  --data-urlencode "auth_code=$CAROL_CODE")
echo "page POST /code/ -> $got"
[ "${got%% *}" = 302 ]
# One test a line: under `set -e` a failing test before `&&` would not stop the script.
[ "$(page GET /profile/)" = "200 " ]
grep -q '000-00-03' "$BODY"  # the number, formatted for reading
echo "a person logged in on the HTML pages over plain HTTP and saw the profile page"

# nginx's limit (128 KiB) and the app's (64 KiB), both in the project's error shape; the raw
# body tells who answered (the app writes compact JSON, nginx's template has spaces).
head -c 100000 /dev/zero | tr '\0' ' ' >"$WORK/100k"
head -c 200000 /dev/zero | tr '\0' ' ' >"$WORK/200k"
expect 413 POST /api/auth/send-code/ "${JSON[@]}" --data-binary "@$WORK/100k"
grep -q '"code":"request_too_large"' "$BODY"  # the app's
expect 413 POST /api/auth/send-code/ "${JSON[@]}" --data-binary "@$WORK/200k"
grep -q '"code": "request_too_large"' "$BODY"  # nginx's
[ "$(dc exec -T app id -u)" = 10001 ]
echo "bodies over 64 KiB: 413 from the app, over 128 KiB: 413 from nginx; the app runs as uid 10001"
took "HTTP checks and logins"

log "50 slow clients (issue 13, item 4)"
echo "without the proxy, straight to the app's granian (what the stack published before):"
python3 .ci/slow_clients.py "$APP_DIRECT" "$ALICE" --seconds 6 || true
echo "through the proxy (what the stack publishes):"
python3 .ci/slow_clients.py "$PROXY" "$ALICE" --seconds 12
took "slow clients"

log "three app instances behind the proxy (issue 17): up --scale app=3"
dc up --detach --wait --wait-timeout 120 --scale app=3 2>&1 | { grep -E 'Error|error' || true; }
APPS=$(dc ps -q app)
[ "$(echo "$APPS" | wc -l)" = 3 ] || { echo "expected 3 app containers" >&2; exit 1; }
# On the shared port a container's health check may be answered by another instance, so
# `--wait` does not prove each one serves: wait until each one's own workers have started
# (GRANIAN_WORKERS=2 in the image).
for id in $APPS; do
  started() { docker logs "$id" 2>&1 | grep -c 'Started worker-' || true; }
  for _ in $(seq 120); do [ "$(started)" -ge 2 ] && break; sleep 0.5; done
  [ "$(started)" -ge 2 ] || { echo "app $id: its workers never started" >&2; exit 1; }
done
DAVE=$(login +79990000004)
expect 200 POST /api/profile/invite/ "${JSON[@]}" -H "Authorization: Bearer $DAVE" \
  -d "{\"invite_code\": \"$ALICE_CODE\"}"
# 240 reads of Alice's referrals, 80 at a time: nginx opens that many connections to the app
# (beyond the 16 idle ones each of its workers keeps), and every instance must have answered
# some (each container's own access log says which).
python3 - "$PROXY" "$ALICE" <<'PY'
import sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, token = sys.argv[1:]
def read(_):
    request = urllib.request.Request(base + "/api/profile/referrals/", headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, len(__import__("json").load(response)["results"])
answers = list(ThreadPoolExecutor(80).map(read, range(240)))
assert answers == [(200, 2)] * 240, answers
print("240 reads through nginx, 80 at a time: all 200 with both referrals")
PY
SERVED=()
for id in $APPS; do
  SERVED+=("$(docker logs "$id" 2>&1 | grep -c 'GET /api/profile/referrals/' || true)")
done
echo "reads answered by each instance: ${SERVED[*]}"
for n in "${SERVED[@]}"; do [ "$n" -gt 0 ] || { echo "an instance answered none" >&2; exit 1; }; done
[ $((SERVED[0] + SERVED[1] + SERVED[2])) = 240 ]
echo "three instances, one database and one Redis: a login and an activation through them,"
echo "and every instance answered reads"
dc up --detach --wait --wait-timeout 60 --scale app=1 2>&1 | { grep -E 'Error|error' || true; }
[ "$(dc ps -q app | wc -l)" = 1 ]
took "three app instances"

# The app's restart: the TLS step's new settings make compose replace the app's container
# (and the proxy's) while PostgreSQL and Redis run on; the data and the tokens must survive.
log "app restart into the TLS step (docs/DEPLOYMENT.md), a self-signed certificate"
export TLS_CERT_DIR=$WORK/tls
mkdir -p "$TLS_CERT_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$TLS_CERT_DIR/privkey.pem" \
  -out "$TLS_CERT_DIR/fullchain.pem" 2>/dev/null
chmod 644 "$TLS_CERT_DIR/privkey.pem"
APP_BEFORE=$(dc ps -q app)
COMPOSE_FILES=(--env-file "$ENV_FILE" -f docker-compose.yml -f docker-compose.tls.yml
  -f .ci/docker-compose.ci.yml)
dc up --detach --wait --wait-timeout 120 2>&1 | { grep -E 'Error|error' || true; }
[ "$(dc ps -q app)" != "$APP_BEFORE" ]
echo "the app's container was replaced (restarted with the TLS settings)"
HTTPS=https://127.0.0.1:19843
got=$(curl -sS --cacert "$TLS_CERT_DIR/fullchain.pem" -o "$BODY" -w '%{http_code}' \
  -H "Authorization: Bearer $ALICE" "$HTTPS/api/profile/")
echo "GET $HTTPS/api/profile/ -> $got $(head -c 120 "$BODY")"
[ "$got" = 200 ]
[ "$(json "['referrals']")" = "['+79990000004', '+79990000002']" ]
got=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$PROXY/api/profile/")
echo "GET $PROXY/api/profile/ -> $got"
case $got in "301 https://"*) ;; *) echo "expected a redirect to HTTPS" >&2; exit 1 ;; esac
expect 200 GET /healthz
echo "after the app's restart with TLS on, Alice's token still reads her two referrals, over"
echo "HTTPS; plain-HTTP API calls are redirected, the probes are not"
took "app restart into the TLS step"

log "down -v"
dc down --volumes --timeout 10 2>&1 | { grep -E 'Error|error' || true; }
STACK_UP=
[ -z "$(docker ps -aq)" ]
[ -z "$(docker volume ls -q)" ]
echo "no container and no volume left"
took "down -v"

log "proved"
cat <<EOF
- every image built here: python:3.12-slim, PostgreSQL, Redis and nginx stand-ins from
  Debian's packages, and referral-system:latest ($SIZE_MB MB, user 10001)
- docker compose up --wait with docker-compose.yml: db, redis, migrate, app, proxy healthy
- through nginx: /healthz, /readyz (database and cache ok), Swagger UI and its hashed,
  gzipped, immutable static files; two API logins and one on the HTML pages (cookies and
  CSRF over plain HTTP) with the codes from the app's log; an invite activated; 413 in the
  error shape from the app and from nginx
- 50 slow clients: /healthz and the profile kept p99 under 1 s through nginx
- up --scale app=3: three app containers behind nginx, a login and an activation through
  them, 240 reads 80 at a time all answered, every instance answering some
  (reads per instance: ${SERVED[*]})
- the app restarted into the TLS step (its container replaced) with the data and the
  tokens kept; over HTTPS the profile answered, plain HTTP redirected; down -v left nothing
EOF
for figure in "${FIGURES[@]}"; do echo "  $figure"; done
echo "  total                              $(printf '%4d' "$SECONDS") s"
