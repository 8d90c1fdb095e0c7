"""The serving certificate: kube-apiserver serves only HTTPS, and kubectl (client-go) sends a
bearer token only over TLS, so the double makes a self-signed certificate at start.

The certificate is its own CA (kubeconfigs carry it as `certificate-authority-data`), made by the
`openssl` command (OpenSSL ships everywhere we run; the Python standard library cannot make one).
"""

from __future__ import annotations

import ipaddress
import ssl
import subprocess
from pathlib import Path


def _subject_alt_names(host: str) -> str:
    # What a pod may call the API server: its service's names, and the address the kubelet puts
    # in KUBERNETES_SERVICE_HOST (kubedouble/incluster.py), which is host or 127.0.0.1.
    names = {"DNS:localhost", "IP:127.0.0.1", "DNS:kubernetes", "DNS:kubernetes.default",
             "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"}
    try:
        ipaddress.ip_address(host)
        names.add(f"IP:{host}")
    except ValueError:
        names.add(f"DNS:{host}")
    return ",".join(sorted(names))


def make_certificate(folder: Path, host: str,
                     names: tuple[str, ...] | None = None) -> tuple[Path, Path]:
    """(certificate, key) PEM files in folder, valid for host, localhost and 127.0.0.1, or
    for exactly `names` (subjectAltName entries such as "DNS:localhost") when given."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "apiserver.crt", folder / "apiserver.key"
    alt_names = ",".join(names) if names else _subject_alt_names(host)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "365", "-subj", "/CN=kubedouble", "-keyout", str(key),
         "-out", str(cert), "-addext", f"subjectAltName={alt_names}",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,digitalSignature,keyCertSign"],
        check=True, capture_output=True, timeout=60)
    key.chmod(0o600)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
