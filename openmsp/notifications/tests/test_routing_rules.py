"""Routing rules, as a pure function: ordered, first match wins unless a rule continues; the
default route takes what nothing else matched; matchers test equality and regular expressions."""

from __future__ import annotations

from openmsp.notifications.routing import (
    Change,
    Matcher,
    Rule,
    check_pattern,
    effective_labels,
    group_key,
    select_routes,
)


def _change(**labels: str) -> Change:
    base = effective_labels(
        labels, source="check", severity="critical", fingerprint="check:a:1:http"
    )
    return Change(kind="firing", severity="critical", source="check", labels=base)


def test_the_first_matching_rule_wins_unless_it_says_continue() -> None:
    rules = [
        Rule(1, severities=frozenset({"warning"})),
        Rule(2, sources=frozenset({"check"}), continue_matching=True),
        Rule(3, kinds=frozenset({"firing"})),
        Rule(4),
    ]
    assert [r.id for r in select_routes(rules, _change())] == [2, 3]


def test_the_default_route_takes_only_what_no_other_rule_matched() -> None:
    default = Rule(9, is_default=True)
    assert [
        r.id for r in select_routes([Rule(1, sources=frozenset({"heartbeat"})), default], _change())
    ] == [9]
    assert [r.id for r in select_routes([Rule(1), default], _change())] == [1]


def test_label_matchers_test_equality_inequality_and_whole_string_regexes() -> None:
    change = _change(env="production", team="erp")
    assert Matcher("env", "=", "production").matches(change.labels)
    assert Matcher("env", "!=", "stage").matches(change.labels)
    assert Matcher("env", "=~", "prod.*").matches(change.labels)
    assert not Matcher("env", "=~", "prod").matches(change.labels), "regexes match whole values"
    assert Matcher("team", "!~", "web|db").matches(change.labels)
    assert Matcher("missing", "=", "").matches(change.labels), "an absent label is empty"
    assert Matcher("alertname", "=", "http").matches(change.labels), "the rule is a label"


def test_a_rule_needs_every_condition_to_hold() -> None:
    rule = Rule(1, severities=frozenset({"critical"}), matchers=(Matcher("env", "=", "prod"),))
    assert select_routes([rule], _change(env="prod")) == [rule]
    assert select_routes([rule], _change(env="stage")) == []


def test_group_keys_do_not_depend_on_label_order_and_bad_regexes_are_explained() -> None:
    assert group_key({"a": "1", "b": "2"}) == group_key({"b": "2", "a": "1"})
    assert check_pattern("(unclosed") is not None
    assert check_pattern("prod|stage") is None
