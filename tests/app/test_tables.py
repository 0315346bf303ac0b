"""Table widths: Chinese text shown whole (the grid's own sizing cut "✖ 一票否决" to "✖ 一票否")."""

from __future__ import annotations

import pandas as pd

from dashboard.app.components import tables


def test_text_columns_are_as_wide_as_their_longest_text_and_header() -> None:
    frame = pd.DataFrame({"一票否决": ["", "✖ 一票否决"], "乡镇": ["景福镇", "大朝山东镇"], "rank": [1, 2]})
    widths = tables.text_widths(frame)
    assert "rank" not in widths  # numbers keep the grid's sizing
    # Four wide characters, the mark and a space: wider than the four-character header alone.
    assert widths["一票否决"] == 15 * 4 + 8 * 2 + 32
    assert widths["乡镇"] == 15 * 5 + 32  # the longest name, not the header
    assert tables.text_widths(pd.DataFrame({"code": ["ab"]}))["code"] == 8 * 4 + 32  # the header is longer
