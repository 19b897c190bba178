"""`make run` is the real thing: the commands its recipe runs (read from the Makefile with `make -n`) upgrade a
fresh SQLite database, load the demo and serve it with gunicorn and several worker processes; `make dev` keeps
Flask's reloading development server.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import requests

from tests.live_server import PROJECT_ROOT, free_port, server_environment
from webapp.gunicorn_conf import TEMPLATE_SUFFIXES, compile_templates

MAKE_TIMEOUT = 60
DEMO_PACKAGE = "/packages/p/django-debug-toolbar/"


def recipe(target: str, **variables: str) -> list[list[str]]:
    """The command lines `make <target>` would run, without running them (installs left out: the venv is there)."""
    # Run as a make of its own, even when the suite itself runs under `make test` (which would add
    # "Entering directory" lines and pass its flags down).
    env = {key: value for key, value in os.environ.items() if key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    output = subprocess.run(["make", "--no-print-directory", "-n", target,
                             *(f"{k}={v}" for k, v in variables.items())], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=MAKE_TIMEOUT, check=True).stdout
    commands = [shlex.split(line) for line in output.splitlines() if line.strip()]
    return [command for command in commands if "pip" not in command and command[0] not in ("touch", "python3")]


def workers_of(pid: int) -> int:
    """How many processes ``pid`` has started (gunicorn's workers)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        count += fields[1] == str(pid)
    return count


def test_make_run_serves_the_demo_with_gunicorn_workers(tmp_path):
    port = free_port()
    commands = recipe("run", PORT=str(port), WEB_CONCURRENCY="2")
    serve = commands[-1]
    assert Path(serve[0]).name == "gunicorn", commands
    assert [Path(command[0]).name for command in commands[:-1]] == ["flask", "flask"], commands
    env = server_environment(f"sqlite:///{tmp_path}/run.sqlite3", FLASK_APP="webapp")
    for command in commands[:-1]:  # flask db upgrade, flask demo load --if-empty
        subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, timeout=MAKE_TIMEOUT, capture_output=True)
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(serve, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        home = _wait_for(f"http://127.0.0.1:{port}/", server, log)
        assert home.status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}{DEMO_PACKAGE}", timeout=30).status_code == 200
        assert workers_of(server.pid) == 2
        # Every template was compiled once, in the master, before the workers were forked.
        assert f"compiled {len(template_files())} templates before forking" in log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=15)


def template_files() -> list[Path]:
    """The Jinja templates under templates/ (the .md pages are read as text)."""
    return [path for path in (PROJECT_ROOT / "templates").rglob("*") if path.suffix in TEMPLATE_SUFFIXES]


def test_every_template_compiles_before_the_workers_fork(app):
    assert compile_templates(app) == len(template_files()) > 80
    assert {path.suffix for path in (PROJECT_ROOT / "templates").rglob("*.*")} - set(TEMPLATE_SUFFIXES) == {".md"}


def test_make_dev_keeps_the_reloading_development_server():
    command = recipe("dev")[-1]
    assert Path(command[0]).name == "flask" and command[1] == "run" and "--debug" in command, command


def _wait_for(url: str, server: subprocess.Popen, log: Path) -> requests.Response:
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, log.read_text(errors="replace")
        try:
            return requests.get(url, timeout=30)
        except requests.ConnectionError:
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)


