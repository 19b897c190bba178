"""People's profile pages: what a person added, uses and changed, across the catalogue, grids and history."""
