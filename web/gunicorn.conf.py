"""gunicorn's settings for the web app, from the environment (the chart's `web.gunicorn.*`).

gunicorn loads ./gunicorn.conf.py from its working folder (/app in the image), so the image
serves the same way with or without the chart. GUNICORN_CMD_ARGS still overrides any of these.

Threaded workers (gthread): a request being uploaded, unzipped, downloaded or deleted holds one
thread, not a whole worker, so the probes and other users are answered meanwhile. The worker
`timeout` applies only to a worker whose main loop stops answering the arbiter (stuck), never
to a long request: there is no per-request time limit here, the ingress sets those.
"""

import socket
import struct

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
# A request waits this long for the next bytes of its body from a silent client. A client
# that vanished mid-upload (Wi-Fi gone: no FIN, no RST) would otherwise hold its thread, and
# its tus upload's lock, for ever: a receiving socket never learns that its peer is gone.
# Its PATCH now ends keeping what arrived, and the client resumes when it is back. It bounds
# each wait for bytes, not the transfer. gthread has no setting for it: the kernel's receive
# timeout (SO_RCVTIMEO) is set on each request's socket, so the socket stays a blocking one
# to gunicorn and Python. Downloads need none: a peer that stops acknowledging what is sent
# is given up by the kernel's retransmission timeout.
client_timeout = env_int("GUNICORN_CLIENT_TIMEOUT", 60, minimum=1)


def pre_request(worker, req):  # noqa: ANN001, ANN201 (gunicorn's hook)
    req.unreader.sock.setsockopt(
        socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", client_timeout, 0))


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

# -- Prometheus metrics and JSON logs (issue #12) -------------------------------------------
# METRICS_PORT [0: none]: the master serves GET /metrics there, the sum of its workers' values
# (prometheus-client's multiprocess mode), never on the site's port.
metrics_port = env_int("METRICS_PORT", 0)
if metrics_port:
    from monitoring import server as metrics_server

    metrics_server.prepare_multiprocess()  # before any worker imports prometheus_client

    def when_ready(server):  # noqa: ANN001, ANN201  (gunicorn's hook signature)
        metrics_server.serve_workers(metrics_port)

    def child_exit(server, worker):  # noqa: ANN001, ANN201
        metrics_server.worker_gone(worker.pid)

# LOG_FORMAT=json [text]: gunicorn's own lines as JSON too, as Django's (settings.LOGGING).
from kubeshowcase.env import env_choice  # noqa: E402

if env_choice("LOG_FORMAT", "text", ("text", "json")) == "json":
    logger_class = "monitoring.logformat.GunicornJsonLogger"
