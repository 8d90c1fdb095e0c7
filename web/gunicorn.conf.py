"""gunicorn's settings for the web app, from the environment (the chart's `web.gunicorn.*`).

gunicorn loads ./gunicorn.conf.py from its working folder (/app in the image), so the image
serves the same way with or without the chart. GUNICORN_CMD_ARGS still overrides any of these.

Threaded workers (gthread): a request being uploaded, unzipped, downloaded or deleted holds one
thread, not a whole worker, so the probes and other users are answered meanwhile. The worker
`timeout` applies only to a worker whose main loop stops answering the arbiter (stuck), never
to a long request: there is no per-request time limit here, the ingress sets those.
"""

from kubeshowcase.env import env_int

wsgi_app = "kubeshowcase.wsgi:application"
bind = ["0.0.0.0:8000"]
worker_class = "gthread"
workers = env_int("WEB_CONCURRENCY", 2, minimum=1)
threads = env_int("GUNICORN_THREADS", 8, minimum=1)
timeout = env_int("GUNICORN_TIMEOUT", 60, minimum=1)
# In-flight requests get this long after SIGTERM; the pod's terminationGracePeriodSeconds is
# a little longer so the kubelet's SIGKILL never cuts it short.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 120, minimum=1)
# Longer than a proxy's upstream keepalive (ingress-nginx: 60 s): it never reuses a closing one.
keepalive = env_int("GUNICORN_KEEPALIVE", 75, minimum=1)
# 0: workers are never recycled; set it (with jitter) only against a memory leak.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 0)
# Heartbeat files in memory: the root filesystem is read-only, and /tmp is a disk emptyDir.
worker_tmp_dir = "/dev/shm"
# No `gunicornc` control socket (gunicorn 25.1+ opens one under $XDG_RUNTIME_DIR or
# $HOME/.gunicorn by default): nothing in a pod uses it, and on a read-only root it only
# fails with a warning at every start.
control_socket_disable = True
accesslog = "-"
