"""Comparing any packages side by side (``/compare/?p=a,b,c``), saving a comparison as a grid, and taking grids
and comparisons away as CSV, JSON or a Markdown table. Builds on the catalogue and the grids."""
