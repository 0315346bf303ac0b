"""Page models: one module per page, pure — ``build(...)`` turns engine results into what the page shows (frames, cards, chart specs), with no cache and no Streamlit."""
