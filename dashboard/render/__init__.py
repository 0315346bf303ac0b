"""What a reader sees: words and number formats, palette, charts, maps, tables, cards, slides, files.

Pure: engine results in, Altair specs, pydeck decks, display and export frames, HTML, .xlsx and
.csv bytes out.
"""
