# Sourced by bench/cpu_split.sh and bench/steps.sh (not run on its own): the production
# settings on loopback against bench_db (left by make bench, vacuumed first), granian serving
# them, and an access token.
#
#   serve SETTINGS_MODULE PORT THREADS   # granian, 2 workers x THREADS; SERVER is its PID
#   TOKEN=$(token USER_ID)
export DEBUG=False PYTHONPATH=. SECURE_SSL_REDIRECT=False ALLOWED_HOSTS=127.0.0.1
SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))')
JWT_SIGNING_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))')
export SECRET_KEY JWT_SIGNING_KEY
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench_db}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/12} CACHE_KEY_PREFIX=benchtools
export LOG_LEVEL=WARNING JWT_ACCESS_LIFETIME=3600

token() {  # the access token of a new session of user $1
  .venv/bin/python -c "
import django; django.setup()
from users.models import User
from users.tokens import token_pair_issue
print(token_pair_issue(user=User(id=$1, password='!'))['access'])" 2>/dev/null
}

serve() {
  export DJANGO_SETTINGS_MODULE=$1
  # make bench's writes (logins, activations) leave heap pages not all-visible: index-only
  # scans would then fetch heap rows that make bench's own reads (run first) never do.
  psql "$DATABASE_URL" -qc "VACUUM (ANALYZE) users_user"
  .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "$2" --workers 2 \
    --blocking-threads "$3" --no-ws --log-level warning referral_system.wsgi:application \
    >/dev/null 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.2; done
  echo "granian did not answer on port $2" >&2
  exit 1
}
