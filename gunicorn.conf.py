"""gunicorn settings for `gunicorn wsgi:app` (see docs/DEPLOY in README)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# One process per core: the GIL lets a process use one core, and PostgreSQL needs the rest
# of the box. Threads cover the waits on PostgreSQL and Redis. On 2 cores, 2 x 4 beat
# 3 x 8, 4 x 4 and 2 x 8 (docs/PERFORMANCE.md); the old cpu*2+1 default was 30% slower.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = 30
keepalive = 5
# "-": one line per request on stdout (the default); GUNICORN_ACCESSLOG=off turns it off.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
if accesslog in ("", "off"):
    accesslog = None
# gunicorn 27 opens a control socket in ~/.gunicorn; two instances would collide.
control_socket_disable = True
