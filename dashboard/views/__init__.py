"""Page models, one module per page: engine results in, what the page shows out.

``build(...)`` is pure: frames, cards and chart specs, no cache calls and no Streamlit, so a view
is tested with hand-made reports.
"""
