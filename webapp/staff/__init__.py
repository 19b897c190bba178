"""Staff tools: categories, the home page (featured grids and package, the site banner), people (staff, blocking,
rolling back a person's edits), and the public list of recent changes."""
