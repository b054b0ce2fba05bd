"""The Redis that atomic steps run on (one-time codes, limits): the default cache's.

That is django-redis on ``REDIS_URL``, or, with none set (development, the embedded test
run), django-redis on fakeredis: an in-process server that runs the very same Lua scripts,
each command under its lock, so there is one implementation of every atomic step.
"""

import functools
import logging
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection
from redis.commands.core import Script

logger = logging.getLogger(__name__)


def redis_connection() -> redis.Redis:
    return get_redis_connection("default")


def redis_key(name: str) -> str:
    """``name`` under the cache's KEY_PREFIX, so several deployments can share one Redis."""
    return cache.make_key(name)  # type: ignore[no-any-return]


@functools.cache
def _script(source: str) -> Script:
    return Script(None, source.encode())  # type: ignore[arg-type]  # bytes: no client needed to encode it


def run_script(source: str, keys: list[str], args: list[Any] | tuple[()] = ()) -> Any:
    """Run a Lua script by its hash (EVALSHA; sent again if the server lost it): one round
    trip, and atomic on the server."""
    return _script(source)(keys=keys, args=args, client=redis_connection())


def run_script_replicated(source: str, keys: list[str], args: list[Any] | tuple[()] = ()) -> Any:
    """``run_script``, answered once ``REDIS_WAIT_REPLICAS`` replicas hold what it wrote (WAIT
    on the same connection, at most ``REDIS_WAIT_TIMEOUT`` ms): a failover that promotes one
    of them keeps it. With fewer replicas attached it answers anyway, and logs it."""
    replicas = settings.REDIS_WAIT_REPLICAS
    if not replicas:
        return run_script(source, keys, args)
    pipe = redis_connection().pipeline(transaction=False)
    _script(source)(keys=keys, args=args, client=pipe)
    pipe.wait(replicas, settings.REDIS_WAIT_TIMEOUT)
    result, acknowledged = pipe.execute()
    if acknowledged < replicas:
        logger.warning(
            "Redis: %d of %d replicas acknowledged within %d ms",
            acknowledged,
            replicas,
            settings.REDIS_WAIT_TIMEOUT,
        )
    return result
