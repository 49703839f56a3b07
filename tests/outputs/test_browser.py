"""The report of a real run, opened in headless Chromium as a manager would: desktop and phone.

The browser is Debian's ``chromium`` (``make setup`` installs it), driven by Playwright with
the network off: every request that is not the report file itself is refused and recorded.
Screenshots of each width (first screen and whole page) and the printed PDF are kept under
the run's folder, in ``screenshots/``, for a person to look at.
"""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.slow

INSTALL_HINT = ("headless Chromium is needed for this test: install Debian's package with "
                "`apt-get update && apt-get install -y chromium fonts-noto-cjk` (as root; "
                "`make test` and `make browser` do it), or put a `chromium` on PATH")
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
A4_COLUMN_PX = 710  # 210 mm less the template's 11 mm side margins, at 96 px per inch

# What each width is measured for, in the page (no script of the report's own: it has none).
_MEASURE = """() => {
  const summary = document.querySelector('.celltag_report-summary');
  const heading = summary && summary.querySelector('h1, h2');
  const boxes = [...document.querySelectorAll('.table-box')].map(box => {
    const hint = box.previousElementSibling;
    return {overflows: box.scrollWidth > box.clientWidth + 1,
            scrolls: getComputedStyle(box).overflowX === 'auto',
            hinted: !!hint && hint.classList.contains('table-hint') && hint.offsetHeight > 0,
            head: box.querySelector('tr') ? box.querySelector('tr').innerText.slice(0, 60) : ''};
  });
  const charts = [...document.querySelectorAll('.jp-RenderedImage img')].map(img => {
    const r = img.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width};
  });
  const style = (selector, property) => {
    const element = document.querySelector(selector);
    return element ? getComputedStyle(element)[property] : null;
  };
  return {
    summaryBreakAfter: summary ? getComputedStyle(summary.closest('.jp-Cell')).breakAfter : null,
    chartBreakInside: style('.jp-RenderedImage', 'breakInside'),
    tableHeadDisplay: style('thead', 'display'),
    summaryTop: heading ? heading.getBoundingClientRect().top + window.scrollY : null,
    summaryFirst: !!summary && !!document.querySelector('.report-content')
      && [...document.querySelectorAll('.report-content h1, .report-content h2')][0]
         === heading,
    scrollWidth: document.scrollingElement.scrollWidth,
    tocVisible: !!document.querySelector('.report-toc')
      && document.querySelector('.report-toc').offsetHeight > 0,
    tablesOutside: [...document.querySelectorAll('table')]
      .filter(t => !t.parentElement.classList.contains('table-box')).length,
    boxes, charts,
  };
}"""


def _chromium() -> str:
    """Path of the system Chromium, or skip — except in CI, where the test must run."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    return path


@pytest.fixture(scope="module")
def seen(request):
    """Open the report at each width with the network off; measure, screenshot, print."""
    chromium = _chromium()  # before the batch runs: no browser, no batch
    from playwright.sync_api import sync_playwright

    sample_run = request.getfixturevalue("sample_run")
    report = next(sample_run.glob("*.html"))
    shots = sample_run / "screenshots"
    shots.mkdir(exist_ok=True)
    result = {"requests": [], "console": [], "shots": shots}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = browser.new_context(viewport=viewport, offline=True,
                                          service_workers="block")

            def refuse(route, request):
                if request.url.startswith("file:"):
                    route.continue_()
                else:
                    result["requests"].append(request.url)
                    route.abort()

            context.route("**/*", refuse)
            page = context.new_page()
            page.on("console", lambda msg: msg.type == "error" and result["console"].append(msg.text))
            page.on("pageerror", lambda err: result["console"].append(str(err)))
            page.goto(report.as_uri(), wait_until="load")
            result[name] = page.evaluate(_MEASURE)
            width = viewport["width"]
            page.screenshot(path=shots / f"report_{width}_first.png")
            page.screenshot(path=shots / f"report_{width}.png", full_page=True)
            if name == "desktop":
                page.emulate_media(media="print")
                page.set_viewport_size({"width": A4_COLUMN_PX, "height": 1000})
                result["print"] = page.evaluate(_MEASURE)
                page.pdf(path=shots / "report_print.pdf", prefer_css_page_size=True,
                         print_background=True)
            context.close()
        browser.close()
    return result


def test_screenshots_are_kept_under_the_run(seen, capsys):
    shots = seen["shots"]
    names = ["report_1366.png", "report_1366_first.png", "report_390.png", "report_390_first.png",
             "report_print.pdf"]
    for name in names:
        assert (shots / name).stat().st_size > 10_000, name
    with capsys.disabled():
        print(f"\nreport screenshots and print: {shots}")


def test_no_request_leaves_the_file(seen):
    assert seen["requests"] == []


def test_no_console_errors(seen):
    assert seen["console"] == []


def test_summary_is_on_the_first_screen(seen):
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        shown = seen[name]
        assert shown["summaryFirst"], name  # the first heading in the content is the summary's
        assert shown["summaryTop"] is not None and shown["summaryTop"] <= viewport["height"], (
            name, shown["summaryTop"])


def test_page_never_scrolls_sideways(seen):
    assert seen["desktop"]["scrollWidth"] <= DESKTOP["width"]
    assert seen["phone"]["scrollWidth"] <= PHONE["width"]


def test_wide_tables_scroll_in_their_own_box_under_a_hint_on_a_phone(seen):
    phone = seen["phone"]
    assert phone["tablesOutside"] == 0
    assert all(box["scrolls"] for box in phone["boxes"])
    overflowing = [box for box in phone["boxes"] if box["overflows"]]
    assert overflowing  # the report has wide tables: the check below is not empty
    assert [box["head"] for box in overflowing if not box["hinted"]] == []
    assert not any(box["hinted"] for box in seen["desktop"]["boxes"])  # the hint is a phone's


def test_charts_fit_the_phone_screen(seen):
    charts = seen["phone"]["charts"]
    assert charts
    for chart in charts:
        assert chart["left"] >= 0 and chart["right"] <= PHONE["width"], chart


def test_print_keeps_the_summary_alone_on_page_one_and_fits_a4(seen):
    printed = seen["print"]
    assert printed["summaryBreakAfter"] == "page"  # page one: the title and the summary
    assert printed["chartBreakInside"] == "avoid"  # a chart is never cut in two
    assert printed["tableHeadDisplay"] == "table-header-group"  # repeated on every page
    assert not printed["tocVisible"]
    assert seen["desktop"]["tocVisible"] and seen["phone"]["tocVisible"]
    assert [box["head"] for box in printed["boxes"] if box["overflows"]] == []
    assert all(chart["right"] <= A4_COLUMN_PX for chart in printed["charts"])
