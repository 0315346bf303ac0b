"""The pure engine: periods, indicators, intervals, targets, ranking, quality — no I/O, no language.

Results carry codes and numbers; words are added where they are rendered. Also: funnel limits,
ID numbers, masking, demonstration sites, time series, the county's settings.
"""
