"""Typed settings, parsed once (webapp/config.py): durations are timedeltas, lists are lists, flags are bools,
a malformed variable stops the app at startup naming it, and code reads ``config["X"]`` so a typo fails."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest

import webapp
from webapp import create_app
from webapp.config import SETTINGS, ConfigError, load_config, parse_duration, resource_path

PACKAGE_DIR = Path(webapp.__file__).parent
TEMPLATES = resource_path("templates")
# Settings any text is a valid value of.
ANY_TEXT = {setting.key for setting in SETTINGS if setting.parse is str} | {"TRUSTED_HOSTS"}


def test_a_malformed_variable_stops_the_app_naming_it(monkeypatch, tmp_path):
    monkeypatch.setenv("FETCH_TIMEOUT", "abc")
    with pytest.raises(ConfigError, match=r"FETCH_TIMEOUT='abc': .*not a number"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.key not in ANY_TEXT], ids=lambda s: s.env)
def test_every_typed_setting_refuses_junk(setting):
    with pytest.raises(ConfigError, match=rf"^{setting.env}='not valid%': "):
        load_config("/tmp", environ={setting.env: "not valid%"})


def test_values_are_parsed_once_into_their_types():
    config = load_config("/tmp", environ={
        "FETCH_STALE_AFTER": "90m", "FETCH_JOB_RETRY_INTERVALS": "10, 1m,,2h", "TRUSTED_HOSTS": "a.org, .b.net",
        "ALLOW_SIGNUP": "off", "SESSION_COOKIE_SECURE": "yes", "REMEMBER_COOKIE_DAYS": "7", "FETCH_TIMEOUT": "2.5",
        "FETCH_WORKERS": "3", "FETCH_NEW_PACKAGES": "SYNC", "PACKAGES_PER_PAGE": ""})
    assert config["FETCH_STALE_AFTER"] == timedelta(minutes=90)
    assert config["FETCH_JOB_RETRY_INTERVALS"] == [10, 60, 7200]
    assert config["TRUSTED_HOSTS"] == ["a.org", ".b.net"]
    assert config["ALLOW_SIGNUP"] is False
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=7)
    assert config["FETCH_TIMEOUT"] == 2.5 and config["FETCH_WORKERS"] == 3
    assert config["FETCH_NEW_PACKAGES"] == "sync"
    assert config["PACKAGES_PER_PAGE"] == 30  # empty is unset


def test_defaults_have_their_types():
    config = load_config("/tmp", environ={})
    assert config["FETCH_STALE_AFTER"] == timedelta(hours=24)
    assert config["FETCH_JOB_RETRY_INTERVALS"] == [60, 300, 1800]
    assert config["TRUSTED_HOSTS"] is None and config["ALLOW_SIGNUP"] is True
    assert "FETCH_IN_PROCESS" not in config
    for setting in SETTINGS:
        assert setting.key in config


def test_overrides_given_as_text_are_parsed_like_the_environment():
    config = load_config("/tmp", {"FETCH_STALE_AFTER": "2d", "FETCH_BACKOFF": 0.0, "TESTING": True}, environ={})
    assert config["FETCH_STALE_AFTER"] == timedelta(days=2) and config["FETCH_BACKOFF"] == 0.0 and config["TESTING"]
    with pytest.raises(ConfigError, match="FETCH_WORKERS"):
        load_config("/tmp", {"FETCH_WORKERS": "many"}, environ={})


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("24h", 86400),
                                               ("7d", 604800), ("2w", 1209600), ("1.5h", 5400)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


# -- sweeps over the code -------------------------------------------------------------------------------------


def _config_reads() -> tuple[list[str], dict[str, list[str]]]:
    """``config.get(...)`` calls, and the keys read as ``config["KEY"]``, in every module under webapp/."""
    gets, keys = [], {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(PACKAGE_DIR.parent)}:{getattr(node, 'lineno', 0)}"
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                    and _is_config(node.func.value)):
                gets.append(where)
            elif (isinstance(node, ast.Subscript) and _is_config(node.value)
                  and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
                keys.setdefault(node.slice.value, []).append(where)
    return gets, keys


def _is_config(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config")


def test_no_module_reads_the_configuration_with_get():
    gets, _ = _config_reads()
    assert not gets, "read config[\"X\"] (defaults live in webapp/config.py):\n" + "\n".join(gets)


def test_every_key_the_code_reads_exists(app):
    """A typo in ``config["X"]`` would be a KeyError at run time: catch it here, for every key."""
    _, keys = _config_reads()
    assert len(keys) > 30
    missing = {key: places for key, places in keys.items() if key not in app.config}
    assert not missing, missing


def test_every_template_global_and_filter_is_used(app):
    """Dead template helpers go: each global and filter the app adds appears in some template."""
    helpers = {**app.jinja_env.globals, **app.jinja_env.filters}
    added = {name for name, value in helpers.items() if getattr(value, "__module__", "").startswith("webapp")}
    assert {"can_edit_grid", "url_with", "markdown"} <= added
    text = "\n".join(path.read_text() for path in TEMPLATES.rglob("*.html"))
    unused = sorted(name for name in added if not re.search(rf"\b{name}\b", text))
    assert not unused, f"template helpers no template uses: {unused}"
    assert "ignore missing" not in text  # every include exists
