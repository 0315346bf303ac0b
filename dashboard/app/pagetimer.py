"""``python -m dashboard.app.pagetimer URL PAGE PERIOD``: one page's cold and warm render in
this fresh process (the benchmark runs one per measurement). The app's modules are imported
by a first run of the overview; then every cache is emptied and the page is run twice in
Streamlit's AppTest, then three times more (warm: their median). Prints ``{"cold": s, "warm": s}``."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def main(url: str, page: str, period_label: str) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["REGISTRY_DB_URL"] = url
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["period"] = period_label
    at.run()  # imports what a started server has imported
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
    st.cache_data.clear()
    st.cache_resource.clear()
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"{page}: {at.exception[0].value}")
    warm = []
    for _ in range(3):  # the page seen again: the median of three reruns
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    print(json.dumps({"cold": cold, "warm": sorted(warm)[1]}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
