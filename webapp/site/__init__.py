"""The site's front: the home page, the sitemap and robots.txt, which gather every domain's content."""
