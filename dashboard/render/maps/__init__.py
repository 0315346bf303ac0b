"""The offline county map (pydeck, no basemap tiles): geometry, layers, legend."""
