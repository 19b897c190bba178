"""Visible wiring: every app-wide hook is installed by the app factory (webapp/__init__.py), never by a blueprint
module as a side effect of being imported or registered; the extensions live in webapp/extensions.py."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Blueprint
from flask_login import LoginManager

import webapp
from webapp import extensions

PACKAGE_DIR = Path(webapp.__file__).parent
FACTORY = PACKAGE_DIR / "__init__.py"

# A blueprint's hooks that act on the whole app (every request, every template), read from Flask itself.
BLUEPRINT_APP_WIDE_HOOKS = {name for name in dir(Blueprint)
                            if name.startswith("app_") or "_app_" in name} | {"record", "record_once"}
# Flask-Login's callbacks: each is one per app.
LOGIN_MANAGER_HOOKS = {name for name in dir(LoginManager)
                       if name.endswith(("_handler", "_loader")) and not name.startswith("_")}


def _calls_and_attributes(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            yield node


def app_wide_hooks_outside_the_factory(package_dir: Path = PACKAGE_DIR) -> list[str]:
    """``file:line name`` for every app-wide hook a module other than the factory installs."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        if path == package_dir / "__init__.py":
            continue
        tree = ast.parse(path.read_text(), str(path))
        defines_blueprint = any(isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", ""))
                                == "Blueprint" for node in ast.walk(tree))
        for node in _calls_and_attributes(tree):
            where = f"{path.relative_to(package_dir.parent)}:{node.lineno} {node.attr}"
            if node.attr in BLUEPRINT_APP_WIDE_HOOKS - {"record", "record_once"} or node.attr in LOGIN_MANAGER_HOOKS:
                found.append(where)
            elif defines_blueprint and node.attr in {"record", "record_once", "jinja_env", "extensions"}:
                found.append(where)  # a blueprint module reaching into the app it is registered on
    return found


def test_the_hook_sets_come_from_the_libraries():
    assert {"after_app_request", "before_app_request", "app_template_global", "app_context_processor",
            "app_errorhandler", "record_once"} <= BLUEPRINT_APP_WIDE_HOOKS
    assert {"unauthorized_handler", "user_loader", "request_loader"} <= LOGIN_MANAGER_HOOKS


def test_no_module_but_the_factory_installs_app_wide_hooks():
    found = app_wide_hooks_outside_the_factory()
    assert not found, ("install these from a register_* step of create_app (webapp/__init__.py):\n"
                       + "\n".join(found))


def test_the_sweep_catches_a_blueprint_hook(tmp_path):
    """The sweep itself, on the shapes the hooks had before they moved to the factory."""
    package = tmp_path / "webapp"
    (package / "catalog").mkdir(parents=True)
    (package / "__init__.py").write_text("login_manager.user_loader(load)\n")  # the factory may
    (package / "catalog" / "views.py").write_text(
        "blueprint = Blueprint('catalog', __name__)\n\n"
        "@blueprint.after_app_request\ndef hook(response):\n    return response\n\n"
        "@blueprint.record_once\ndef setup(state):\n    login_manager.unauthorized_handler(f)\n"
        "    state.app.jinja_env.globals.update(x=1)\n")
    found = [entry.split(" ")[1] for entry in app_wide_hooks_outside_the_factory(package)]
    assert found == ["after_app_request", "record_once", "unauthorized_handler", "jinja_env"]


def test_the_factory_installs_the_hooks_and_globals(app):
    """What the blueprints used to install is there, installed by create_app."""
    names = {getattr(function, "__name__", getattr(getattr(function, "func", None), "__name__", ""))
             for function in app.after_request_funcs[None]}
    assert {"add_vary", "finish_response", "fix_allow_header", "add_security_headers"} <= names
    assert {"can_edit_grid", "github_signin_enabled", "url_with"} <= set(app.jinja_env.globals)
    assert app.login_manager.unauthorized_callback is not None
    assert app.extensions["authlib.integrations.flask_client"] is extensions.oauth


def test_anonymous_people_are_sent_to_sign_in(client):
    """The unauthorized handler the factory installs: a page asks to sign in, HTMX gets 401 + HX-Redirect."""
    response = client.get("/packages/add/")
    assert response.status_code == 302 and "/accounts/login/" in response.headers["Location"]
    response = client.get("/packages/add/", headers={"HX-Request": "true"})
    assert response.status_code == 401 and "/accounts/login/" in response.headers["HX-Redirect"]
