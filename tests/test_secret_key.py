"""Without SECRET_KEY the site signs with a random key of its own, kept private in the instance folder: never
with a value from the source code, the same key after a restart and for every worker, another key elsewhere."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from webapp import create_app
from webapp.security import SECRET_KEY_FILE, load_or_create_secret_key

OLD_PUBLIC_KEY = "dev-only-secret-change-me"


def app_without_secret_key(monkeypatch, instance: Path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(instance))
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance.parent / 'db.sqlite3'}"})


def test_without_secret_key_a_random_private_key_is_made_once_per_instance(monkeypatch, tmp_path, caplog):
    caplog.set_level("INFO", logger="webapp.security")
    first = app_without_secret_key(monkeypatch, tmp_path / "one")
    key = first.config["SECRET_KEY"]
    stored = tmp_path / "one" / SECRET_KEY_FILE

    assert key and key != OLD_PUBLIC_KEY and len(key) >= 48
    assert stored.read_text() == key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert "SECRET_KEY is not set" in caplog.text and str(stored) in caplog.text

    assert app_without_secret_key(monkeypatch, tmp_path / "one").config["SECRET_KEY"] == key  # a restart
    other = app_without_secret_key(monkeypatch, tmp_path / "two").config["SECRET_KEY"]
    assert other != key and other != OLD_PUBLIC_KEY


def test_the_key_signs_sessions(monkeypatch, tmp_path):
    app = app_without_secret_key(monkeypatch, tmp_path / "one")
    assert app.secret_key == app.config["SECRET_KEY"]
    client = app.test_client()
    assert client.get("/accounts/login/").status_code == 200
    assert client.get_cookie("session") is not None  # signed (the CSRF token lives in the session)


def test_secret_key_from_the_environment_wins_and_nothing_is_written(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "one"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "one" / SECRET_KEY_FILE).exists()


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    path = tmp_path / "instance" / SECRET_KEY_FILE
    start = threading.Barrier(8)
    results = []

    def worker():
        start.wait()
        results.append(load_or_create_secret_key(path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    keys = {key for key, _created in results}
    assert keys == {path.read_text()}
    assert sum(created for _key, created in results) == 1
    assert sorted(p.name for p in path.parent.iterdir()) == [SECRET_KEY_FILE]  # no temporary file left behind


def test_an_unusable_key_file_is_a_clear_error(tmp_path):
    path = tmp_path / SECRET_KEY_FILE
    path.write_text("\n")
    with pytest.raises(RuntimeError, match="set SECRET_KEY"):
        load_or_create_secret_key(path)


def test_the_public_development_key_is_gone_from_the_source():
    source = Path(__file__).resolve().parents[1] / "webapp"
    assert not [p for p in source.rglob("*.py") if OLD_PUBLIC_KEY in p.read_text()]
