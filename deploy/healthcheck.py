"""The container's health check (Dockerfile HEALTHCHECK): exit 0 when GET /healthz on the local
gunicorn answers 200 (the app and its database answer), 1 otherwise. Standard library only.

It asks as the first of DJANGO_ALLOWED_HOSTS (the app refuses other host names) over plain HTTP
(settings exempt /healthz from the HTTPS redirect)."""

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
    port = bind.rsplit(":", 1)[-1]
    hosts = [host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host.strip()]
    host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=float(os.environ.get("HEALTHCHECK_TIMEOUT", "5"))) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as answer:
        status = answer.code
    except OSError as exc:
        print(f"unhealthy: {exc}")
        return 1
    print("healthy" if status == 200 else f"unhealthy: /healthz answered {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
