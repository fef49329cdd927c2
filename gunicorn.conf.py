"""gunicorn settings for `gunicorn wsgi:app` (see docs/DEPLOY in README)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = 30
keepalive = 5
accesslog = "-"
# gunicorn 27 opens a control socket in ~/.gunicorn; two instances would collide.
control_socket_disable = True
