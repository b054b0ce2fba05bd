# The API served by granian (WSGI), the project's one application server, chosen by
# measurement (bench/README.md, "One application server"). See docs/DEPLOYMENT.md and
# docker-compose.yml.
# Two stages: the first installs and collects, the second carries only what runs.

FROM python:3.12-slim AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Dependencies first, exactly the lock (pip check: nothing missing), so code changes reuse
# this layer. Left behind in this stage: pip itself, translation sources (.po; the compiled
# .mo stay) and phonenumbers' geocoder, carrier and time-zone data (41 MB that
# users/phone.py never loads: parse, validity, region and E.164 need only its metadata;
# PyPI's phonenumberslite leaves out the same).
COPY requirements.lock ./
RUN python -m venv /opt/venv \
    && pip install --no-deps -r requirements.lock \
    && pip check \
    && pip uninstall --yes --quiet pip \
    && find /opt/venv -name '*.po' -delete \
    && rm -rf /opt/venv/lib/python3.12/site-packages/phonenumbers/geodata \
        /opt/venv/lib/python3.12/site-packages/phonenumbers/carrierdata \
        /opt/venv/lib/python3.12/site-packages/phonenumbers/tzdata \
    && python -c "import phonenumbers as p; n = p.parse('+7 999 123-45-67'); assert p.is_valid_number(n) and p.region_code_for_number(n) == 'RU'"

# The code: .dockerignore keeps out tests, benchmarks, virtualenvs, caches and .env files.
COPY . .

# collectstatic needs settings but no services: keys made for this step and thrown away.
# Only the hashed, compressed files the pages link to are kept (no unhashed originals, no
# source maps): whitenoise serves them with a one-year immutable cache header. The apps'
# own copies of those files are not needed once collected.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    JWT_SIGNING_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=localhost ENABLE_SMS=False \
    DJANGO_SETTINGS_MODULE=referral_system.settings.production \
    python manage.py collectstatic --noinput --verbosity 0 \
    && find staticfiles -name '*.map' -delete -o -name '*.map.gz' -delete \
    && rm -rf /opt/venv/lib/python3.12/site-packages/drf_yasg/static \
    && python -m compileall -q -j 0 /app

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=referral_system.settings.production \
    GRANIAN_INTERFACE=wsgi \
    GRANIAN_HOST=0.0.0.0 \
    GRANIAN_PORT=8000 \
    GRANIAN_WORKERS=2 \
    GRANIAN_BLOCKING_THREADS=2 \
    GRANIAN_HTTP1_HEADER_READ_TIMEOUT=5000 \
    GRANIAN_LOG_ACCESS_ENABLED=true \
    GRANIAN_LOG_CONFIG=referral_system/granian_logging.json

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app

# Numeric, so the runtime can tell it is not root without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000

# Follows GRANIAN_PORT, so a container told to listen elsewhere still reports its health.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('GRANIAN_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]

# GRANIAN_WORKERS: one per core the container gets. 2 threads each: 1 was 1-8 % faster on the
# profile, but with a 200 ms SMS gateway it completed half the logins (bench/README.md).
# GRANIAN_HTTP1_HEADER_READ_TIMEOUT: a client gets 5 s for its headers (granian's default
# is 30 s); granian has no body timeout, the proxy in front (docker-compose.yml) has one.
# granian's own lines and its access log (one line a request, no query string) go through
# the project's masking filter, as JSON lines with LOG_JSON=True (granian_logging.json).
CMD ["granian", "--no-ws", "--access-log-fmt", "%(addr)s \"%(method)s %(path)s %(protocol)s\" %(status)d %(dt_ms).3fms", "referral_system.wsgi:application"]
