"""RQ cron configuration for the periodic refresh: ``rq cron --url "$REDIS_URL" webapp.fetch.cron``.

Every ``FETCH_EVERY`` seconds (default 6 hours) it queues a fetch job for each package not fetched
within ``FETCH_STALE_AFTER`` (default 24h); ``rq worker fetch`` processes run them. Once a day (every
``PERIODIC_REFRESH_EVERY`` seconds) a job refreshes what other domains keep from elsewhere: the release cycles.
"""

import os

from rq import cron

from webapp.fetch.jobs import QUEUE_NAME, enqueue_stale_job, periodic_refresh_job

cron.register(enqueue_stale_job, QUEUE_NAME, interval=int(os.environ.get("FETCH_EVERY", "21600")),
              job_timeout=600, name="fetch-stale-packages")
# Once a day: the release cycles of Django, Python and Wagtail (webapp/readiness), through the periodic_refresh signal.
cron.register(periodic_refresh_job, QUEUE_NAME, interval=int(os.environ.get("PERIODIC_REFRESH_EVERY", "86400")),
              job_timeout=300, name="periodic-refresh")
