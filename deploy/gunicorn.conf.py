"""Gunicorn settings for Enlace: `gunicorn -c deploy/gunicorn.conf.py registry.wsgi` (the web service
of compose.yaml; docs/deploy.md). Each value can be changed from the environment. Not at the
project root, where gunicorn would read it unasked (the bench's and tests' own gunicorn runs)."""

import glob
import multiprocessing
import os
import shutil
import tempfile

# The TLS proxy in front connects here; the container publishes nothing else.
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Synchronous workers, one request each: two per core plus one, at most 8 (each holds its own
# database connection, so workers x web replicas must stay under PostgreSQL's max_connections).
workers = int(os.environ.get("WEB_CONCURRENCY", str(min(2 * multiprocessing.cpu_count() + 1, 8))))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request slower than this is killed (exports of large lists are the slowest requests).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM (docker stop, an upgrade), requests under way get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Longer than the proxy's idle keep-alive would be pointless; shorter makes it reconnect.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A fresh worker now and then bounds any slow memory growth; the jitter keeps them from all
# restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# Load Django once in the master: a bad setting (no DJANGO_SECRET_KEY) stops the service at
# start instead of every worker failing in turn, and workers share the loaded code's memory.
preload_app = True
# The heartbeat file on memory, not on the container's overlay filesystem (which can stall it).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# The runtime control socket (gunicornc) is not used; it would be one more writable path.
control_socket_disable = True

# Logs to stdout/stderr, which the container runtime collects. Each access line carries the
# request id (the X-Request-ID answered, also in the application's log lines) and the
# client's address as the proxy saw it.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %({x-forwarded-for}i)s [%({x-request-id}o)s] "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


# Prometheus metrics of every worker (docs/observability.md): prometheus_client's multiprocess
# mode, each worker writing its values to files in one folder that a scrape of any worker sums.
# Set before the app is loaded (prometheus_client reads it on import). The folder is this
# service's alone: files left by a previous run are removed here, a dead worker's on its exit.
_made_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(
    prefix="enlace-metrics-",
    dir="/dev/shm" if os.path.isdir("/dev/shm") else None,  # noqa: S108
)
os.makedirs(metrics_dir, exist_ok=True)
for stale in glob.glob(os.path.join(metrics_dir, "*.db")):
    os.unlink(stale)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    # Nothing opened in the master before the fork (preload_app) may be shared by two workers.
    from django.db import connections

    connections.close_all()
