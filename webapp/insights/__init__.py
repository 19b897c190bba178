"""Open statistics and grid timesheets: read-only views over the catalogue, grids, history and fetches."""
