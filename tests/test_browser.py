"""A real browser session: the Streamlit server on a free local port, driven by headless Chromium.

Uses Debian's Chromium (/usr/bin/chromium, installed by the README's test command) through
Playwright. Screenshots land in test-output/browser/. Every request the page makes to a host
other than this machine is recorded and blocked: there must be none.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse

import pytest

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "test-output" / "browser"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
         "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the dashboard did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_dashboard_in_a_real_browser(server):
    from playwright.sync_api import expect, sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is not installed (the README's test command installs it)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", guard)
        page.goto(server)
        headline = page.locator("h3").filter(has_text=re.compile("还清|Debt-free|无法还清"))
        expect(headline.first).to_contain_text("还清", timeout=60_000)
        expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
        page.screenshot(path=SHOTS / "1-plan-zh.png", full_page=True)

        page.get_by_role("radio", name="English").click()
        english = page.locator("h3").filter(has_text="Debt-free")
        expect(english.first).to_be_visible(timeout=30_000)
        before = english.first.inner_text()
        assert "call first: 360数科" in before

        for view, marker in (("Compare", "Weighted cost per plan"), ("Negotiate", "Call scripts"),
                             ("Export", "Download the plan"), ("Plan", "Payments per month")):
            page.get_by_role("radio", name=view, exact=True).click()
            expect(page.get_by_text(marker).first).to_be_visible(timeout=60_000)
            page.screenshot(path=SHOTS / f"2-{view.lower()}-en.png", full_page=True)

        # Move the income slider to its top with the keyboard, as a user can.
        thumb = page.get_by_role("slider", name="Monthly income (¥)")
        thumb.focus()
        thumb.press("End")
        expect(page.locator("h3").filter(has_text="Debt-free").first).not_to_have_text(before, timeout=60_000)
        after = page.locator("h3").filter(has_text="Debt-free").first.inner_text()
        months = lambda text: int(re.search(r"Debt-free in (\d+) months", text).group(1))
        assert months(after) < months(before)
        page.screenshot(path=SHOTS / "3-after-slider-en.png", full_page=True)
        browser.close()
    assert outside == [], f"the page tried to reach other hosts: {outside[:5]}"
