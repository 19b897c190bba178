"""Small pages djangopackages.org also has: the newest packages, every release of a package, "add to grid" from a
package page, the retired API v1, the favicon, a health check for load balancers, and static pages (about, FAQ,
terms) written in markdown."""
