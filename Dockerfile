# The API served by granian (WSGI), the fastest server measured in bench/; gunicorn with
# gunicorn.conf.py is the alternative. See README "Production" and docker-compose.yml.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=referral_system.settings.production \
    GRANIAN_INTERFACE=wsgi \
    GRANIAN_HOST=0.0.0.0 \
    GRANIAN_PORT=8000 \
    GRANIAN_WORKERS=2 \
    GRANIAN_BLOCKING_THREADS=2 \
    GRANIAN_LOG_ACCESS_ENABLED=true \
    GRANIAN_LOG_CONFIG=referral_system/granian_logging.json

WORKDIR /app

# Dependencies first, exactly the lock (pip check: nothing missing), so code changes reuse
# this layer.
COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock && pip check

# The code: .dockerignore keeps out tests, benchmarks, virtualenvs, caches and .env files.
COPY . .

# collectstatic needs settings but no secrets or services: throw-away values for this step only.
RUN SECRET_KEY=collectstatic-only-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEF \
    JWT_SIGNING_KEY=collectstatic-only-jwt-abcdefghijklmnopqrstuvwxyz-0123456789 \
    ALLOWED_HOSTS=localhost ENABLE_SMS=False \
    python manage.py collectstatic --noinput \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin app

# Numeric, so the runtime can tell it is not root without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# GRANIAN_WORKERS: one per core the container gets. 2 threads each: 1 was 1-4 % faster on the
# profile, but with a 200 ms SMS gateway it completed half the logins (bench/README.md).
# The alternative:
#   docker run ... IMAGE gunicorn --config gunicorn.conf.py
# granian's own lines and its access log (one line a request, no query string) go through
# the project's masking filter, as JSON lines with LOG_JSON=True (granian_logging.json).
CMD ["granian", "--no-ws", "--access-log-fmt", "%(addr)s \"%(method)s %(path)s %(protocol)s\" %(status)d %(dt_ms).3fms", "referral_system.wsgi:application"]
