"""Turning engine results into what a reader sees: words and number formats, the status palette,
Altair charts, pydeck maps, display and export tables, cards and slides, .xlsx/.csv files."""
