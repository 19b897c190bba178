"""The fetch service: keeps repository and PyPI data of packages fresh (handlers, HTTP, jobs, CLI, webhook)."""
