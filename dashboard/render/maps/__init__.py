"""The offline county map (pydeck, no basemap): geometry, layers, legend."""
