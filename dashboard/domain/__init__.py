"""The pure engine: periods, the indicator catalogue and its computation (roll-up, intervals,
status against targets), ranking, funnel limits, data-quality checks, ID numbers, masking,
time series. No I/O, no Streamlit, no language: results carry codes and numbers; words are
added where they are rendered."""
