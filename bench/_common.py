"""Helpers the HTTP benchmarks share: percentiles, a logged-in client, a gunicorn worker."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
PASSWORD = "bench-password-not-secret-1"


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95, max and mean of durations in seconds, as milliseconds."""
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "n": len(ordered),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """A logged-in member's browser, as far as the benchmarks need one."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        """GET a path; the status and the whole page, read to the end."""
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.status, response.read().decode()

    def login(self, email: str, password: str) -> None:
        """Log in through the login form (CSRF token and all)."""
        _, page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise SystemExit("bench: no CSRF token on the login page")
        data = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "email": email, "password": password}
        ).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=60) as response:
            if "/login" in response.geturl():
                raise SystemExit("bench: logging in failed")


def serve(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """Start gunicorn (sync workers) on the app and wait until it accepts connections."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("bench: gunicorn did not start")
