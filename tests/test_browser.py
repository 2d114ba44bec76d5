"""A real browser session: the Streamlit server on a free local port (fast reruns on, as shipped),
driven by Debian's Chromium through Playwright (helpers shared with bench/browser.py).

Screenshots of every view in both languages at 1440 px and 390 px land in test-output/browser/.
Every request the page makes to a host other than this machine is recorded and blocked: there
must be none.
"""

from __future__ import annotations

import re
import time
import tomllib
import urllib.request
from urllib.parse import urlparse

import pytest

from bench.browser import KEY_LISTENER_JS, LAST_VALUE_JS, income_slider, launch, open_case, run_count, serve, settle
from optimizer import load_scenario

from .conftest import ROOT, SCENARIOS

SHOTS = ROOT / "test-output" / "browser"
VIEW_NAMES = {"zh": ("还款计划", "方案对比", "协商目标和通话稿", "导出"), "en": ("Plan", "Compare", "Negotiate", "Export")}

# Visible DOM text under WCAG AA: 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold).
CONTRAST_JS = """
() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  // The nearest ancestor painted behind the text: one whose box holds the text's middle (a slider's
  // value floats above its thumb, outside it).
  const background = (el) => { const r = el.getBoundingClientRect(); const x = r.x + r.width / 2, y = r.y + r.height / 2;
    for (let e = el; e; e = e.parentElement) { const b = e.getBoundingClientRect();
      if (x < b.left || x > b.right || y < b.top || y > b.bottom) continue;
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0.5) return c; }
    return [255, 255, 255, 1]; };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent.trim()).join(' ');
    if (!own || el.closest('[hidden], [aria-hidden="true"], button:disabled, [data-testid="stStatusWidget"], .js-plotly-plot')) continue;
    const box = el.getBoundingClientRect(); const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || Number(style.opacity) < 0.1) continue;
    const fg = parse(style.color); const bg = background(el);
    const mixed = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
    const [a, b] = [lum(mixed), lum(bg)]; const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize); const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${ratio.toFixed(2)} ${style.color} on rgb(${bg.slice(0, 3)}): ${own.slice(0, 50)}`);
  }
  return bad;
}
"""


@pytest.fixture(scope="module")
def server():
    with serve(fast_reruns=True) as (url, proc):
        yield url, proc


@pytest.fixture()
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


def guarded_page(browser, width: int = 1440, height: int = 900):
    """A page whose requests to any other host are blocked and recorded in ``page.outside``."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.outside = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            page.outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return page


def click_and_settle(page, locator) -> None:
    before = run_count(page)
    locator.click()
    settle(page, before)


def open_cell_editor(page, row: int, column: int, expected: str):
    """Open the loan table's editor on a cell (``column`` steps right of the name) and return it.

    The grid is a canvas: the name cell is clicked, arrows walk to the column and Enter opens the
    editor, which is filled only once it is there (typing straight onto the cell lost its first key
    under load: "000", a principal of 0). Under load the click can land while the grid is still
    being drawn and the editor never opens (one fresh CI run); then Escape and try again, and the
    cell must hold ``expected``, so an editor opened on any other cell is never filled.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    grid = page.get_by_test_id("stDataFrameResizable").first
    editor = page.locator("input.gdg-input")
    for _ in range(5):
        grid.wait_for(state="visible", timeout=30_000)
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(500)  # the canvas is drawn a frame after its box appears
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 60, box["y"] + 35 * (row + 1) + 17)
        page.wait_for_timeout(200)
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            editor.wait_for(state="visible", timeout=10_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        if editor.input_value() == expected:
            return editor
        page.keyboard.press("Escape")
        editor.wait_for(state="hidden", timeout=10_000)
    pytest.fail(f"the loan table's editor did not open on a cell holding {expected!r} in five tries")


def choose(page, name: str) -> None:
    """Pick a language or a view (a segmented control's option), unless it is picked already."""
    option = page.get_by_role("radio", name=name, exact=True)
    if option.get_attribute("aria-checked") != "true":
        click_and_settle(page, option)


def headline(page) -> str:
    return page.get_by_text(re.compile(r"(还清全部债务|Debt-free in|无法还清|Not debt-free)")).first.inner_text()


def screenshot(page, path, width: int, height: int) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made as tall as it."""
    tall = page.evaluate("Math.max(...[...document.querySelectorAll('[data-testid=stMain]')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": width, "height": min(int(tall) + 40, 12000)})
    page.wait_for_timeout(300)
    page.screenshot(path=path)
    page.set_viewport_size({"width": width, "height": height})


def test_every_view_in_both_languages_on_desktop_and_phone(server, browser):
    url, _ = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1440, 900), (390, 844)):
        page = guarded_page(browser, width, height)
        page.goto(url)
        page.wait_for_selector("#run-done", state="attached", timeout=180_000)
        settle(page, 0)
        assert "还清" in headline(page)
        for lang in ("zh", "en"):
            if lang == "en":
                choose(page, "English")
            for k, view in enumerate(VIEW_NAMES[lang]):
                choose(page, view)
                if width == 1440 and lang == "zh" and k == 0:  # the loan table too, from here on
                    click_and_settle(page, page.get_by_text("显示和修改借款明细（3笔）"))
                page.wait_for_timeout(500)
                screenshot(page, SHOTS / f"{width}-{lang}-{k + 1}-{VIEW_NAMES['en'][k].lower()}.png", width, height)
                where = f"{width} px, {lang}, {view}"
                assert page.locator(".modebar").count() == 0, where  # no plotly toolbar before the content
                assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth") <= width + 1, where
                assert page.evaluate(CONTRAST_JS) == [], where
                if width == 1440:  # every column of every table in view, no sideways scrolling
                    tables = page.evaluate("[...document.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller')]"
                                           ".map(e => e.scrollWidth - e.clientWidth)")
                    assert tables and max(tables) <= 1, (where, tables)
                if k == 0:  # the month's card comes first, before any chart
                    card = page.locator(".st-key-this_month").bounding_box()
                    chart = page.locator(".js-plotly-plot").first.bounding_box()
                    assert card["y"] + card["height"] <= chart["y"], where
                body = page.locator("body").inner_text()
                assert "None" not in body and "-0.00" not in body, where
                if lang == "zh":
                    assert not re.search(r"\b(Upload|Drag and drop|per file|Choose an option)\b", body), where
        if width == 390:  # the inputs open from a button that says what it opens (in English by now)
            label = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stExpandSidebarButton]'), "
                                  "'::after').content")
            assert "Income and priorities" in label
        page.close()
        assert page.outside == [], f"the page tried to reach other hosts: {page.outside[:5]}"


def test_slider_values_show_yuan_with_separators(server, browser):
    url, _ = server
    page = guarded_page(browser)
    open_case(page, url, "three-overdue-loans", "plan")
    values = page.get_by_test_id("stSliderThumbValue").all_inner_texts()
    assert "¥7,500" in values and "¥4,200" in values
    assert "¥0.10" in values  # a weight: yuan of interest per yuan-month overdue


def test_fifty_fast_income_moves_on_negotiate_keep_the_server_up_and_show_the_last_value(server, browser):
    url, proc = server
    page = guarded_page(browser)
    open_case(page, url, "counsellor-twelve-loans", "negotiate")
    thumb = income_slider(page)
    start = float(thumb.input_value())
    thumb.focus()
    for _ in range(50):
        page.keyboard.press("ArrowRight")
        time.sleep(0.1)
    final = start + 50 * 100.0
    assert float(thumb.input_value()) == final
    page.evaluate(LAST_VALUE_JS, f"{final:.2f}")  # settled on a run made from the last value
    assert proc.poll() is None, "the dashboard server died"
    assert urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).read() == b"ok"
    assert page.locator("#run-done").get_attribute("data-income") == f"{final:.2f}"
    assert page.get_by_text("Call scripts").count() == 1 and page.locator("code").count() >= 1
    assert not page.get_by_text(re.compile("Connection error|Are you connected")).count()
    assert page.outside == []


def test_an_edited_principal_survives_language_and_view_switches(server, browser):
    url, _ = server
    page = guarded_page(browser)
    page.goto(url)
    page.wait_for_selector("#run-done", state="attached", timeout=180_000)
    settle(page, 0)
    page.evaluate(KEY_LISTENER_JS)
    before = headline(page)
    click_and_settle(page, page.get_by_text(re.compile("显示和修改借款明细")))
    previous = run_count(page)
    editor = open_cell_editor(page, row=0, column=3, expected="18000")  # the first loan's principal
    editor.fill("9000")
    page.keyboard.press("Enter")
    settle(page, previous)
    edited = headline(page)
    assert edited != before

    for name in ("English", "Compare", "Plan", "中文"):
        choose(page, name)
    assert headline(page) == edited

    choose(page, "导出")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载当前案例（TOML）").click()
    saved = tomllib.loads(download.value.path().read_text(encoding="utf-8"))
    assert saved["loans"][0]["name"] == "360借条" and saved["loans"][0]["principal"] == 9000
    assert re.fullmatch(r".+_案例_\d{4}-\d{2}-\d{2}\.toml", download.value.suggested_filename)
    assert load_scenario(SCENARIOS / "three-overdue-loans.toml").loans[0].principal == 18000  # the file is untouched
    assert page.outside == []


def test_a_bad_upload_is_an_error_and_the_rest_stays_and_a_good_one_replaces_the_picker(server, browser, tmp_path):
    url, _ = server
    page = guarded_page(browser)
    open_case(page, url, "three-overdue-loans", "plan")
    plan_headline = headline(page)
    bad = tmp_path / "mine.toml"
    bad.write_text("start = \n", encoding="utf-8")
    previous = run_count(page)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(bad)
    settle(page, previous)
    assert page.get_by_text(re.compile("mine.toml")).first.is_visible()
    assert page.locator("[data-testid=stAlertContentError]").count() == 1
    assert headline(page) == plan_headline  # the rest of the page stays
    assert page.get_by_role("combobox", name="Case file").count() == 1

    good = tmp_path / "my-case.toml"
    good.write_text((SCENARIOS / "full-balance-demanded.toml").read_text(encoding="utf-8"), encoding="utf-8")
    click_and_settle(page, page.get_by_test_id("stFileChipDeleteBtn").first)
    assert page.get_by_role("combobox", name="Case file").count() == 1
    previous = run_count(page)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(good)
    settle(page, previous)
    assert page.get_by_text(re.compile("Using the uploaded file “my-case.toml”")).is_visible()
    assert page.get_by_role("combobox", name="Case file").count() == 0  # the picker is replaced, visibly
    assert headline(page) != plan_headline
    assert page.outside == []
