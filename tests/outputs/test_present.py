"""The presentation helpers of analysis/outputs/present.py."""


def test_progress_bar_counts_and_names_the_item_on_stderr(capsys):
    from analysis.outputs.present import progress

    assert list(progress(["客户基础信息表", "维护执行记录表"], "写出工作簿", label=lambda x: x)) == [
        "客户基础信息表", "维护执行记录表"]
    captured = capsys.readouterr()
    assert captured.out == ""                       # the report keeps stdout; the bar is not for it
    assert "写出工作簿 2/2" in captured.err and "维护执行记录表" in captured.err


def test_a_file_shows_by_its_name_not_its_folder(capsys, tmp_path):
    from analysis.outputs.present import progress_of

    file = tmp_path / "订单.csv"
    assert list(progress_of("读取文件")([file])) == [file]
    err = capsys.readouterr().err
    assert "订单.csv" in err and str(tmp_path) not in err


def test_a_date_column_shows_dates_not_midnight():
    import pandas as pd

    from analysis.outputs.present import table

    frame = pd.DataFrame({"最早到期": pd.to_datetime(["2026-11-06", None]),
                          "发送时间": pd.to_datetime(["2026-11-06 09:30", "2026-11-07 10:00"])})
    html = table(frame).to_html()
    assert "2026-11-06</td>" in html and "00:00:00" not in html and "—" in html
    assert "2026-11-06 09:30:00" in html                       # a time of day is kept
