"""Addresses built once and filled in (webapp/url_patterns.py) are exactly what ``url_for`` gives, for every
rule of the app with arguments and for values that need quoting."""

from __future__ import annotations

import pytest
from flask import url_for

from webapp.url_patterns import UrlPattern

AWKWARD_TEXT = ["django-rest", "a b", "é/ü", "x{y}z", "100%", "a?b#c", "plus+sign"]


def _sample(converter: str, index: int):
    if converter in ("IntegerConverter", "NumberConverter"):
        return [0, 7, 2147483647][index % 3]
    return AWKWARD_TEXT[index % len(AWKWARD_TEXT)]


def _rules(app):
    for rule in app.url_map.iter_rules():
        converters = {name: type(converter).__name__ for name, converter in rule._converters.items()}
        # Rules whose arguments take any text or number (an ``any(...)`` argument is fixed, not filled in).
        if converters and all(kind in ("UnicodeConverter", "IntegerConverter", "PathConverter")
                              for kind in converters.values()):
            yield rule, converters


def test_every_rule_with_arguments_fills_in_as_url_for_builds_it(app):
    rules = list(_rules(app))
    assert len(rules) > 30  # the sweep sees the app's real routes
    with app.test_request_context("/"):
        for rule, converters in rules:
            slots = tuple(converters)
            for round_ in range(len(AWKWARD_TEXT)):
                values = {name: _sample(kind, round_ + position)
                          for position, (name, kind) in enumerate(converters.items())}
                expected = url_for(rule.endpoint, **values)
                pattern = UrlPattern(rule.endpoint, *slots)
                assert pattern(**values) == expected, rule.rule
                assert pattern(*(values[slot] for slot in slots)) == expected, rule.rule
                # Slots named in another order than the address has them.
                reversed_pattern = UrlPattern(rule.endpoint, *reversed(slots))
                assert reversed_pattern(**values) == expected, rule.rule


def test_fixed_values_and_query_arguments_are_kept(app):
    with app.test_request_context("/"):
        pattern = UrlPattern("grids.cell_edit", "feature_id", slug="a b", grid_package_id=3)
        assert pattern(feature_id=9) == url_for("grids.cell_edit", slug="a b", grid_package_id=3, feature_id=9)
        login = UrlPattern("catalog.package_detail", "slug", tab="x{1}")
        assert login(slug="p") == url_for("catalog.package_detail", slug="p", tab="x{1}")


def test_a_slot_missing_from_the_address_is_refused(app):
    with app.test_request_context("/"):
        with pytest.raises(ValueError, match="in its path"):
            UrlPattern("site.home", "slug")  # it would be a query argument, quoted another way
