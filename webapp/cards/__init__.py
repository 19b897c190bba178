"""Share cards and badges: the 1200x630 PNG cards of packages, grids and the site (OpenGraph and Twitter images)
and the shields-style SVG badges of a package's score or stars, with their caches."""
