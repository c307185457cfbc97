"""gunicorn's settings for the registry: `gunicorn --config deploy/gunicorn.conf.py config.wsgi`.

Read by the systemd unit (deploy/systemd/registry.service) and by the local cluster
(deploy/cluster.py). The environment overrides what differs between machines:
GUNICORN_BIND (default 127.0.0.1:8000), GUNICORN_WORKERS (default 2 × CPUs + 1),
GUNICORN_TIMEOUT (default 30 s), GUNICORN_FORWARDED_ALLOW_IPS (default 127.0.0.1: the
nginx in front, deploy/nginx/registry.conf).
"""

import os


def _int(name, default):
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: a page is database work, not waiting on clients (nginx buffers those
# both ways). A sync worker closes the connection after each response.
workers = _int("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"
# Below nginx's proxy_read_timeout (60 s), so a stuck worker is restarted before nginx
# gives up on it.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
# A worker is replaced after this many requests (with jitter, so not all at once): a slow
# leak in a library cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# Only nginx may tell gunicorn the scheme (X-Forwarded-Proto). Django reads the client's
# address itself (config/client_ip.py, DJANGO_TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Django logs one JSON object per line to stdout (config/logging.py); gunicorn's access log
# goes there too, one line per request: the client as nginx saw it, the time in seconds.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(L)ss "%({referer}i)s" "%(a)s" via %(h)s'
)
proc_name = "registry"
