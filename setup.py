"""Packaging beyond what pyproject.toml can say: the top-level templates/, static/ and migrations/ of the
checkout ship inside the wheel as webapp/templates, webapp/static and webapp/migrations, so an installed
wheel runs on its own (``webapp.config.resource_path`` finds them in either place)."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

APP_PACKAGES = find_namespace_packages(include=["webapp", "webapp.*"], exclude=["*.__pycache__"])
RESOURCES = {"webapp.templates": "templates", "webapp.static": "static", "webapp.migrations": "migrations"}


def resource_packages() -> list[str]:
    """Every folder under the resource folders, as the dotted package setuptools copies its files from."""
    names = []
    for package, folder in RESOURCES.items():
        root = Path(folder)
        names.append(package)
        names += [f"{package}.{'.'.join(sub.relative_to(root).parts)}" for sub in sorted(root.rglob("*"))
                  if sub.is_dir() and sub.name != "__pycache__"]
    return names


setup(
    packages=[*APP_PACKAGES, *resource_packages()],
    package_dir=RESOURCES,
    package_data={package: ["*"] for package in [*APP_PACKAGES, *resource_packages()]},
)
