"""text_column: the vocabulary sentence of every row at once, the very string vocab.text gives."""

import numpy as np
import pandas as pd
import pytest

from analysis.text_columns import text_column
from analysis.vocab import language


def test_each_row_as_written_by_hand():
    got = text_column("churn.reason.rule", days=pd.Series([95, 120, 95]),
                      spend=pd.Series([3200.0, 1234567.5, 3200.0]))
    assert got.tolist() == ["95天未购买，历史消费3,200元", "120天未购买，历史消费1,234,568元",
                            "95天未购买，历史消费3,200元"]


def test_scalars_shared_by_every_row_and_format_specs():
    got = text_column("churn.reason.ranked", p=np.array([0.804, 0.2]), days=90, ranking="风险×历史消费",
                      rank=pd.array([1, 12345], dtype="Int64"))
    assert got.tolist() == ["模型估计未来90天不购买概率 80%，按风险×历史消费排第 1 位",
                            "模型估计未来90天不购买概率 20%，按风险×历史消费排第 12,345 位"]


def test_edge_values_read_as_str_format_writes_them():
    # 0.0 and -0.0 hash alike but format differently; a blank number reads "nan"
    got = text_column("churn.reason.rule", days=[1, 2, 3], spend=np.array([-0.0, 0.0, np.nan]))
    assert got.tolist() == ["1天未购买，历史消费-0元", "2天未购买，历史消费0元", "3天未购买，历史消费nan元"]


def test_single_row_and_empty():
    assert text_column("crosssell.reason.popular", category=pd.Series(["礼品"]), share=[0.4]).tolist() == [
        "暂无适用的关联规则，推荐尚未购买的最热销品类「礼品」（40% 的客户购买过）"]
    empty = text_column("crosssell.reason.popular", category=pd.Series([], dtype="string"), share=[])
    assert len(empty) == 0


def test_run_language():
    with language("en"):
        got = text_column("crosssell.reason.rule", antecedent=pd.Series(["设备"], dtype="string"),
                          consequent=["耗材"], confidence=[0.8], lift=[1.6])
    assert got.tolist() == ['80% of customers who bought "设备" also bought "耗材" (lift 1.6)']


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        text_column("churn.reason.rule", days=[1, 2], spend=[1.0])
