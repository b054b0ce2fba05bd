"""gunicorn settings (the image's command); each value can be overridden from the environment."""

import os

from gunicorn.glogging import Logger

from referral_system.logs import JsonFormatter, MaskSecretsFilter, json_wanted

wsgi_app = "referral_system.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The cores this process may run on (a container's cpuset), not every core of the host.
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
# Sync workers: 2 per core plus one, the usual starting point for a database-bound app.
workers = int(os.environ.get("WEB_CONCURRENCY", CORES * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# gunicorn's largest request line, so long query strings reach the app's JSON errors.
limit_request_line = 8190
# Recycle workers now and then so a slow leak cannot grow forever; jitter avoids a stampede.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# /dev/shm is memory, so the worker heartbeat never waits on a slow disk in a container.
SHM = "/dev/shm"  # noqa: S108 (memory, not a shared temporary directory for files)
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", SHM if os.path.isdir(SHM) else None)

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Client address, request line, status, bytes, duration in microseconds, user agent.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s"'
# The X-Forwarded-* headers are believed from these addresses only (the proxy in front).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


class MaskedLogger(Logger):
    """gunicorn's logger with the project's masking filter, and JSON lines if LOG_JSON=True."""

    def setup(self, cfg):  # type: ignore[no-untyped-def]
        super().setup(cfg)
        as_json = json_wanted()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(MaskSecretsFilter())
                if as_json:
                    handler.setFormatter(JsonFormatter())


logger_class = MaskedLogger
