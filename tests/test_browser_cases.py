"""The Cases view in a real browser: the dashboard started as a counsellor starts it, on a case file
named by $DEBTPLAN_DB, opened in Debian's Chromium through Playwright. Screenshots in both
languages at 1440 px and 390 px land in test-output/browser/ (cases-*.png).

The case file is made here through casework with today's real date (the dashboard reads the
clock), its scenario starting three months ago so that three months are closed.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3


from bench.browser import run_count, serve, settle

from .conftest import SCENARIOS
from .test_browser import SHOTS, CONTRAST_JS, browser, choose, guarded_page, screenshot  # noqa: F401 (the browser fixture)
from .test_dashboard_cases import build_case_file


def test_the_cases_view_shows_the_caseload_and_the_chart(tmp_path, monkeypatch, browser):
    today = dt.date.today()
    first = today.replace(day=1)
    for _ in range(3):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    scenario = tmp_path / "three.toml"
    text = (SCENARIOS / "three-overdue-loans.toml").read_text(encoding="utf-8")
    scenario.write_text(re.sub(r'(?m)^start = "\d{4}-\d{2}"', f'start = "{first:%Y-%m}"', text), encoding="utf-8")
    db = tmp_path / "office" / "cases.db"
    build_case_file(db, today, scenario, first)
    monkeypatch.setenv("DEBTPLAN_DB", str(db))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(fast_reruns=True) as (url, _):
        for width, height in ((1440, 900), (390, 844)):
            page = guarded_page(browser, width, height)
            page.goto(url)
            page.wait_for_selector("#run-done", state="attached", timeout=180_000)
            for lang, view in (("zh", "案件"), ("en", "Cases")):
                if lang == "en":
                    choose(page, "English")
                choose(page, view)
                page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
                where = f"{width} px, {lang}"
                # The caseload rows (in the grid's table for screen readers: the grid itself is a
                # canvas) and the chart with a bar per loan paid.
                cells = page.get_by_test_id("stDataFrame").first.locator("td[role=gridcell]")
                cells.filter(has_text="张三").first.wait_for(state="attached", timeout=60_000)
                assert cells.filter(has_text="张三").count() == 1 and cells.filter(has_text="李四").count() == 1, where
                if lang == "zh":
                    assert page.get_by_text("案件：李四", exact=True).is_visible(), where  # the most urgent is open
                    # Clicking 张三's row (second; its box at the left) opens that case.
                    before = run_count(page)
                    page.get_by_test_id("stDataFrameResizable").first.click(position={"x": 16, "y": 35 + 35 + 17})
                    settle(page, before)
                    # A payment recorded on the page.
                    form = page.get_by_test_id("stForm")
                    form.get_by_label("金额（元）").fill("100")
                    before = run_count(page)
                    form.get_by_role("button", name="记录还款").click()
                    settle(page, before)
                    page.get_by_text(re.compile("^已记录：.+付给360借条¥100.00。$")).wait_for(timeout=60_000)
                # … and it stays open in the other language.
                page.get_by_text("案件：张三" if lang == "zh" else "Case: 张三", exact=True).wait_for(timeout=60_000)
                assert page.locator(".js-plotly-plot .bars path").count() >= 6, where  # three loans, three months
                assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth") <= width + 1, where
                assert page.evaluate(CONTRAST_JS) == [], where
                assert not page.locator("[data-testid=stSidebar]").is_visible(), where  # the scenario's inputs do not apply here
                body = page.locator("body").inner_text()
                assert "None" not in body and "-0.00" not in body and "Traceback" not in body, where
                if width == 1440:  # every column of the caseload in view
                    tables = page.evaluate("[...document.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller')]"
                                           ".map(e => e.scrollWidth - e.clientWidth)")
                    assert tables and max(tables) <= 1, (where, tables)
                page.wait_for_timeout(500)
                screenshot(page, SHOTS / f"cases-{width}-{lang}.png", width, height)
            # Back to the plan: the sidebar and the plan are there again.
            choose(page, "Plan")
            page.locator(".st-key-this_month").wait_for(timeout=120_000)
            assert page.locator("[data-testid=stSidebar]").count() == 1
            choose(page, "中文")
            page.close()
            assert page.outside == []
    with sqlite3.connect(db) as conn:  # the one payment made on the page, as typed
        assert conn.execute("SELECT loan, paid_on, amount_fen FROM payments ORDER BY id DESC LIMIT 1").fetchone() == (
            "360借条", today.isoformat(), 10000)
