"""The HTML report: one executed notebook in, one self-contained page out."""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.config import KERNEL_NAME
from analysis.outputs.report import (
    build_report,
    check_self_contained,
    merge_notebooks,
    render_report,
)
from analysis.vocab import text


def _kernel_name() -> str:
    specs = KernelSpecManager().find_kernel_specs()
    return KERNEL_NAME if KERNEL_NAME in specs else "python3"


def _sample_notebook() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# 客户画像分析\n\n本节说明客户的**地域分布**。"),
        new_code_cell('month = "2026-10"  # PARAM_MARKER', metadata={"tags": ["parameters"]}),
        new_code_cell('print("STDOUT_MARKER 正在加载数据")\n'
                      'import sys\nprint("STDERR_MARKER", file=sys.stderr)'),
        new_code_cell(
            "import pandas as pd\n"
            'regions = pd.DataFrame({"地域": ["华东", "华北"], "客户数": [1234, 567],'
            ' "累计消费(元)": ["¥1,234,500", "¥98,000"]})\n'
            "regions  # TABLE_MARKER"
        ),
        new_markdown_cell("## 地域分布图"),
        new_code_cell(
            "from analysis.outputs.plotting import plot_share_bar, use_chinese_font\n"
            "use_chinese_font()\n"
            'plot_share_bar(pd.Series({"华东": 1234, "华北": 567, "西南": 89}),'
            ' title="客户地域分布", top_n=2)  # CHART_MARKER'
        ),
        new_code_cell('"SKIP_MARKER"', metadata={"tags": ["report-skip"]}),
        new_code_cell('raise ValueError("ERROR_MARKER")'),
        new_markdown_cell("## 结论\n\n华东客户占比最高。"),
    ])


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The sample notebook, executed once for the whole module (one kernel start).

    The kernel gets ``MPLBACKEND=Agg``, as under a test runner or CI shell: the chart must
    still reach the report (``use_chinese_font`` switches such a kernel to inline).
    """
    folder = tmp_path_factory.mktemp("run")
    nb = _sample_notebook()
    NotebookClient(nb, kernel_name=_kernel_name(), timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute(
        env={**os.environ, "MPLBACKEND": "Agg"})
    path = folder / "02_profiling.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def report(executed):
    out = executed.parent / "report.html"
    build_report([executed], out, title="客户洞察月报 2026-10", subtitle="数据截至 2026-10-31",
                 summary_markdown="## 执行摘要\n\n- 客户总数 **1,890** 人\n- 本月到期动作 12 项")
    return out.read_text(encoding="utf-8")


def test_code_logs_parameters_and_errors_are_left_out(report):
    for marker in ("PARAM_MARKER", "TABLE_MARKER", "CHART_MARKER", "import pandas",
                   "plot_share_bar(", "STDOUT_MARKER", "STDERR_MARKER", "SKIP_MARKER",
                   "ERROR_MARKER", "Traceback", "&lt;Axes", "<Axes"):
        assert marker not in report, marker


def test_headings_tables_and_summary_are_kept(report):
    assert "客户画像分析" in report
    assert "<strong>地域分布</strong>" in report
    assert "华东" in report and "1234" in report and "¥1,234,500" in report
    # The summary comes first, before the first notebook's heading.
    assert report.index("执行摘要") < report.index("客户画像分析")
    assert "celltag_report-summary" in report
    assert "客户洞察月报 2026-10" in report and "数据截至 2026-10-31" in report


def test_chart_is_embedded_and_nothing_external(report):
    assert report.count("data:image/png;base64,") >= 1
    assert check_self_contained(report) == []
    assert "<script" not in report
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", report)


def test_toc_anchors_resolve(report):
    toc = re.search(r'<nav class="report-toc".*?</nav>', report, re.DOTALL).group(0)
    targets = re.findall(r'href="#([^"]+)"', toc)
    ids = set(re.findall(r'\sid="([^"]+)"', report))
    assert len(targets) == 4  # 执行摘要, 客户画像分析, 地域分布图, 结论
    assert all(target in ids for target in targets)
    assert [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<a [^>]*>(.*?)</a>", toc)] == [
        "执行摘要", "客户画像分析", "地域分布图", "结论"]


def test_numeric_columns_are_right_aligned(report):
    assert re.search(r'<td class="num">1234</td>', report)
    assert re.search(r'<td class="num">¥98,000</td>', report)
    assert re.search(r"<td>华东</td>", report)
    assert re.search(r'<th class="num">客户数</th>', report)


def test_same_inputs_give_identical_bytes(executed, tmp_path):
    first = build_report([executed], tmp_path / "a.html", title="月报", summary_markdown="摘要")
    second = build_report([executed], tmp_path / "b.html", title="月报", summary_markdown="摘要")
    assert first.read_bytes() == second.read_bytes()


def test_generated_time_comes_from_papermill_metadata(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("# 数据清洗")])
    nb.metadata["papermill"] = {"end_time": "2026-11-01T00:30:00.123456"}  # naive UTC
    path = tmp_path / "01_cleaning.ipynb"
    nbformat.write(nb, path)
    html = build_report([path], tmp_path / "r.html", title="月报").read_text(encoding="utf-8")
    assert "2026-11-01 08:30（北京时间）" in html
    html = build_report([path], tmp_path / "r.html", title="月报", generated="").read_text(
        encoding="utf-8")
    assert "生成时间" not in html


def test_merge_drops_object_reprs_and_scripts_but_keeps_plain_values(tmp_path):
    cell = new_code_cell("ax = draw()", outputs=[
        new_output("execute_result", data={"text/plain": "<Axes: title={'center': '图'}>"},
                   execution_count=1),
        new_output("display_data", data={"text/plain": "42"}),
        new_output("display_data", data={"application/javascript": "alert(1)",
                                         "text/plain": "<IPython.core.display.Javascript object>"}),
    ])
    path = tmp_path / "03_segmentation.ipynb"
    nbformat.write(new_notebook(cells=[cell, new_code_cell("x = 1")]), path)
    merged = merge_notebooks([path])
    assert len(merged.cells) == 1  # the cell without output is gone
    assert merged.cells[0].source == ""
    assert [out["data"] for out in merged.cells[0].outputs] == [{"text/plain": "42"}]
    html = render_report(merged, title="t")
    assert "alert(1)" not in html and "<script" not in html


def test_markdown_heading_ids_are_unique_across_notebooks(tmp_path):
    paths = []
    for name in ("04_cross_analysis", "05_strategy"):
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(new_notebook(cells=[new_markdown_cell("## 小结\n\n文字")]), path)
        paths.append(path)
    html = build_report(paths, tmp_path / "r.html", title="月报").read_text(encoding="utf-8")
    ids = re.findall(r'<h2 id="([^"]+)"', html)
    assert len(ids) == 2 and len(set(ids)) == 2


@pytest.mark.parametrize("html, expected", [
    ('<script src="https://cdn.jsdelivr.net/require.js"></script>',
     ["https://cdn.jsdelivr.net/require.js"]),
    ('<link rel="stylesheet" href="http://fonts.example.com/a.css">',
     ["http://fonts.example.com/a.css"]),
    ('<img src="chart.png"><img src="data:image/png;base64,AA==">', ["chart.png"]),
    ('<a href="#sec-1">1</a><a href="mailto:a@b.cn">m</a>', []),
    ("<a href='//example.com/x'>x</a>", ["//example.com/x"]),
    ('<style>@font-face{src:url("https://x.cn/f.woff")} .a{background:url(data:a)}</style>',
     ["https://x.cn/f.woff"]),
    ('<div style="background-image:url(img/bg.png)"></div>', ["img/bg.png"]),
    ('<img srcset="a.png 1x, b.png 2x">', ["a.png", "b.png"]),
])
def test_check_self_contained_flags_outside_urls(html, expected):
    assert check_self_contained(html) == expected


def test_english_run_renders_the_page_words_in_english(tmp_path):
    from analysis.vocab import language

    nb = new_notebook(cells=[new_markdown_cell("# Cleaning\n\n## Rows set aside")])
    nb.metadata["papermill"] = {"end_time": "2026-11-01T00:30:00"}
    path = tmp_path / "01_cleaning.ipynb"
    nbformat.write(nb, path)
    with language("en"):
        html = build_report([path], tmp_path / "r.html", title="Monthly report").read_text(
            encoding="utf-8")
    assert '<html lang="en">' in html
    assert "Generated 2026-11-01 08:30 (Beijing time)" in html
    assert '<p class="report-toc-title">Contents</p>' in html
    assert "for internal use only" in html
    assert not re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", html)


def test_contents_follow_the_summary_so_a_phone_shows_the_summary_first(report, tmp_path):
    summary = report.index("celltag_report-summary")
    toc = report.index('<nav class="report-toc"')
    assert summary < toc < report.index("客户画像分析")
    nb = new_notebook(cells=[new_markdown_cell("# 数据清洗\n\n## 读取原始数据")])
    html = render_report(nb, title="月报")  # no summary: the contents come first
    assert html.index('<nav class="report-toc"') < html.index("数据清洗</h1>")


def test_every_table_sits_in_its_own_scroll_box(report):
    assert report.count("<table") >= 1
    assert len(re.findall(r'<div class="table-box[^"]*"><table', report)) == report.count("<table")


@pytest.mark.parametrize("row, hinted", [
    # eight dates: 8 × (10 half-width characters × 6.8 px + 16 px padding) = 672 px > 360 px
    (["2026-10-31"] * 8, True),
    # (2 Chinese characters = 4 halves × 6.8 + 16) + (5 × 6.8 + 16) = 93 px: fits a phone
    (["华东", "1,234"], False),
])
def test_a_table_too_wide_for_a_phone_has_a_scroll_hint(row, hinted):
    header = "| " + " | ".join(f"列{i}" for i in range(len(row))) + " |"
    markdown = "\n".join([header, "|" + "---|" * len(row), "| " + " | ".join(row) + " |"])
    html = render_report(new_notebook(cells=[new_markdown_cell(markdown)]), title="月报")
    hint = f'<p class="table-hint">{text("report.scroll_hint")}</p><div class="table-box"><table'
    assert (hint in html) == hinted
    assert '<div class="table-box"><table' in html
