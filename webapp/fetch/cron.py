"""RQ cron configuration for the periodic refresh: ``rq cron --url "$REDIS_URL" webapp.fetch.cron``.

Every ``FETCH_EVERY`` seconds (default 6 hours) it queues a fetch job for each package not fetched
within ``FETCH_STALE_AFTER`` (default 24h); ``rq worker fetch`` processes run them.
"""

import os

from rq import cron

from webapp.fetch.jobs import QUEUE_NAME, enqueue_stale_job

cron.register(enqueue_stale_job, QUEUE_NAME, interval=int(os.environ.get("FETCH_EVERY", "21600")),
              job_timeout=600, name="fetch-stale-packages")
