"""A live server on a real SQLite file and Debian's headless Chromium driven by Playwright.

No browser is downloaded: Playwright drives /usr/bin/chromium (apt-get install chromium).
Where it is missing, these tests skip and say why. axe-core (npm, see package.json) is injected
into each page to check WCAG 2.1 A/AA; without it the tests skip, except in CI (CI=true), where a
missing axe fails. Screenshots go to FORUM_E2E_OUTPUT (default tests/e2e/output/, git-ignored).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("FORUM_TEST_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
OUTPUT = Path(os.environ.get("FORUM_E2E_OUTPUT", ROOT / "tests" / "e2e" / "output"))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Chromium as root in a closed network: no sandbox, no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium to run browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, object]]:
    """The real app (CSRF on) on a free port, with a migrated SQLite database."""
    from flask_migrate import upgrade

    from forum import create_app
    from forum.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}",
            "SECRET_KEY": "e2e-secret",
            "RATELIMIT_ENABLED": False,
            "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """The path of axe-core's script; a missing axe skips, or fails under CI=true."""
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE} is missing): run `npm ci` at the project root"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return AXE


def axe_violations(page, script: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """Run axe-core (WCAG 2.1 A and AA) on the page; one line per violation and element."""
    page.add_script_tag(path=str(script))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    lines = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            lines.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at "
                f"{' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return lines


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page PNG named after the page and the viewport width."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, base: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the real form and wait for the front page."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/**")
