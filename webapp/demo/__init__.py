"""Demo data: real package names and summaries with illustrative statistics, for a site that works at once."""
