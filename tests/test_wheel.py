"""The built wheel runs on its own: installed into a fresh virtualenv outside the checkout, it migrates a
database, loads the demo and serves pages with their templates and static files."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env() -> dict:
    """The environment without what would put the checkout (or another environment) on the new venv's path."""
    return {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "PYTHON"))}


def _run(args: list, cwd: Path, env: dict) -> str:
    result = subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", out, CHECKOUT],
         cwd=out, env=os.environ.copy())
    (built,) = out.glob("package_grids-*.whl")
    return built


def test_wheel_holds_templates_static_migrations_and_demo_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (CHECKOUT / "templates").rglob("*.html"):
        assert f"webapp/templates/{path.relative_to(CHECKOUT / 'templates').as_posix()}" in names
    for path in (CHECKOUT / "migrations" / "versions").glob("*.py"):
        assert f"webapp/migrations/versions/{path.name}" in names
    assert {"webapp/static/css/site.css", "webapp/migrations/env.py", "webapp/migrations/alembic.ini",
            "webapp/demo/data/packages.tsv", "webapp/demo/data/grids.json"} <= names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_installed_wheel_migrates_loads_demo_and_serves_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path, env=os.environ.copy())
    python = venv / "bin" / "python"
    # The dependencies come from the test run's own environment (no network needed): a .pth file appends
    # its site-packages after the new venv's, where the wheel is installed, so the wheel's webapp wins.
    new_site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         cwd=tmp_path, env=os.environ.copy()).strip())
    (new_site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--force-reinstall", "-q", wheel],
         cwd=tmp_path, env=_clean_env())

    instance = tmp_path / "instance"
    env = _clean_env()
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}", INSTANCE_PATH=str(instance),
               SECRET_KEY="wheel-test", REDIS_URL="", FETCH_NEW_PACKAGES="off")
    located = _run([python, "-c", "import webapp; print(webapp.__file__)"], cwd=tmp_path, env=env)
    assert str(venv) in located and str(CHECKOUT) not in located

    flask = [python, "-m", "flask", "--app", "webapp"]
    _run([*flask, "db", "upgrade"], cwd=tmp_path, env=env)
    _run([*flask, "demo", "load"], cwd=tmp_path, env=env)

    port = _free_port()
    server = subprocess.Popen([python, "-m", "gunicorn", "webapp:create_app()", "--bind", f"127.0.0.1:{port}",
                               "--workers", "1"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        home = _get_when_up(f"http://127.0.0.1:{port}/", server)
        assert "Package Grids" in home
        stylesheet = re.search(r'href="(/static/css/site[^"]*\.css)"', home)
        assert stylesheet, "the page links no stylesheet"
        package = urllib.request.urlopen(f"http://127.0.0.1:{port}/packages/p/django-invitations/", timeout=10)
        assert "Generic invitations app" in package.read().decode()
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}{stylesheet.group(1)}", timeout=10)
        assert css.status == 200 and b"{" in css.read()
    finally:
        server.terminate()
        server.wait(timeout=20)


def _get_when_up(url: str, server: subprocess.Popen) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            return urllib.request.urlopen(url, timeout=10).read().decode()
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode() if server.stdout else ""
                raise AssertionError(f"the server from the wheel did not answer:\n{output}") from None
            time.sleep(0.2)
