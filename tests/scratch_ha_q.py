import difflib

from tests.route_sweep import all_rules, check_fillers_cover_every_rule, url_for_rule
from tests.test_htmx_vary import _get


def test_print(world):
    fillers = check_fillers_cover_every_rule(world)
    paths = [url_for_rule(rule, fillers.get(rule.endpoint, {}), "GET") for rule in all_rules()
             if "GET" in rule.methods]
    client = world.clients["staff"]
    a = _get(client, "/staff/home/").get_data(as_text=True)
    for p in paths:
        _get(client, p)
    b = _get(client, "/staff/home/", {"HX-Request": "true"}).get_data(as_text=True)
    print("\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="")))
