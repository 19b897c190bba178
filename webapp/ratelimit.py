"""A per-client fixed-window rate limit: in process memory, or in Redis when ``REDIS_URL`` is set.

The window is one minute; ``API_RATE_LIMIT`` requests are allowed in each. With several worker processes and
no Redis each process counts on its own, so the real limit is that many times higher.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
REDIS_PREFIX = "packagegrids:api-rate:"

# The clock the windows are cut from; tests replace it to cross a window without waiting.
clock = time.time


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window ends


class MemoryCounter:
    """Counts hits per key and window in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            if window != self._window:
                # Only the current window matters: forget the old one wholesale, so memory stays bounded.
                self._window = window
                self._counts = {}
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


class RedisCounter:
    """Counts hits per key and window in Redis, shared by every process."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def hit(self, key: str, window: int) -> int:
        name = f"{REDIS_PREFIX}{window}:{key}"
        pipeline = self._redis.pipeline()
        pipeline.incr(name)
        pipeline.expire(name, WINDOW_SECONDS * 2)
        count, _ = pipeline.execute()
        return int(count)


class RateLimiter:
    """Decides whether a client may make one more request now: the API's limit (``API_RATE_LIMIT``).

    Created unbound in :mod:`webapp.extensions` and bound with :meth:`init_app`; it counts in Redis when the
    app's ``REDIS_URL`` is set (read on every check, so changing it moves the counting), else in memory.
    """

    def __init__(self) -> None:
        self.memory = MemoryCounter()
        self._redis: dict[str, RedisCounter] = {}

    def init_app(self, app: Flask) -> None:
        """Bind to ``app``."""
        app.extensions["api_rate_limiter"] = self

    def _redis_counter(self) -> RedisCounter | None:
        url = current_app.config["REDIS_URL"]
        if not url:
            return None
        if url not in self._redis:
            self._redis[url] = RedisCounter(url)
        return self._redis[url]

    def check(self, key: str, limit: int) -> Decision:
        """Count one request by ``key`` and say whether it is within ``limit`` a minute."""
        now = clock()
        window = int(now // WINDOW_SECONDS)
        retry_after = max(1, int(WINDOW_SECONDS - (now - window * WINDOW_SECONDS) + 0.999))
        count = None
        redis = self._redis_counter()
        if redis is not None:
            try:
                count = redis.hit(key, window)
            except Exception:  # noqa: BLE001 - Redis down must not take the API down; count locally instead
                logger.warning("API rate limit: Redis unavailable, counting in process memory", exc_info=True)
        if count is None:
            count = self.memory.hit(key, window)
        return Decision(allowed=count <= limit, limit=limit, remaining=max(0, limit - count),
                        retry_after=retry_after)
