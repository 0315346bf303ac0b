"""Summary counts per village, built once by ``refresh`` and read by every page."""
