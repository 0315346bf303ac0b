"""Population and family-planning target dashboard: indicators, charts, exports."""
