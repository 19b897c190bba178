"""Readiness pages: the release cycles, which packages declare each, and what blocks an upgrade."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from webapp.readiness import queries
from webapp.readiness.forms import MAX_NAMES, CheckForm, split_target, target_value
from webapp.readiness.requirements import parse_requirements

blueprint = Blueprint("readiness", __name__)


@blueprint.get("/readiness/")
def index():
    today = queries.today()
    products = [(product, [cycle for cycle in cycles if not cycle.is_eol(today)],
                 [cycle for cycle in cycles if cycle.is_eol(today)])
                for product, cycles in queries.cycles_by_product().items()]
    return render_template("readiness/index.html", products=products, today=today)


@blueprint.get("/readiness/<product>/<cycle>/")
def cycle_detail(product: str, cycle: str):
    found = queries.find_cycle(product, cycle)
    if found is None:
        abort(404, f"There is no release cycle “{product} {cycle}” here.")
    grid = None
    slug = request.args.get("grid", "")
    if slug:
        grid = queries.grid_by_slug(slug)
        if grid is None:
            abort(404, f"There is no grid “{slug}”.")
    result = queries.readiness(found, grid)
    return render_template("readiness/cycle.html", result=result, cycle=found, grid=grid, today=queries.today(),
                           top=queries.TOP_PACKAGES, target=target_value(found.product, found.cycle),
                           label=f"{found.product.label} {found.cycle}")


@blueprint.route("/readiness/check/", methods=["GET", "POST"])
def check():
    """GET shows the form; POST (CSRF-checked) shows the answer below it. Neither changes anything."""
    cycles = queries.cycles_by_product()
    form = CheckForm()
    # Grouped by product (an <optgroup> each).
    form.target.choices = {product.label: [(target_value(product, cycle.cycle), f"{product.label} {cycle.cycle}")
                                           for cycle in product_cycles]
                           for product, product_cycles in cycles.items() if product_cycles}
    if request.method == "GET" and request.args.get("target"):
        form.target.data = request.args["target"]
    result = None
    if request.method == "POST" and form.validate_on_submit():
        product, number = split_target(form.target.data)
        chosen = next((cycle for cycle in cycles.get(product, []) if cycle.cycle == number), None)
        parsed = parse_requirements(form.requirements.data)
        if chosen is None:
            form.target.errors = ["Choose a release cycle from the list."]
        elif len(parsed.names) > MAX_NAMES:
            form.requirements.errors = [f"Paste at most {MAX_NAMES} projects ({len(parsed.names)} here)."]
        elif not parsed.names and not parsed.unreadable:
            form.requirements.errors = ["No requirement found: only comments, options or blank lines."]
        else:
            result = queries.check_requirements(chosen, parsed.names, parsed.spelled, parsed.unreadable)
    status = 422 if request.method == "POST" and result is None else 200
    return render_template("readiness/check.html", form=form, result=result, today=queries.today()), status
