"""One handler per remote host: GitHub, GitLab, Bitbucket, Codeberg (Forgejo) and PyPI."""
