from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from openmsp_agent.snapshot import apply_diff, diff, normalize, snapshot_hash

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
sections = st.dictionaries(st.text(min_size=1, max_size=6), values, max_size=6)
snapshots = st.dictionaries(
    st.sampled_from(["os", "packages", "services", "ports", "users", "errors"]),
    sections,
    max_size=6,
)


@given(snapshots, snapshots)
def test_applying_the_diff_of_a_to_b_onto_a_gives_b(a: dict[str, Any], b: dict[str, Any]) -> None:
    result = apply_diff(a, diff(a, b))

    assert normalize(result) == normalize(b)
    assert snapshot_hash(result) == snapshot_hash(b)


@given(snapshots)
def test_a_snapshot_has_no_diff_with_itself(a: dict[str, Any]) -> None:
    assert diff(a, a) == {}


@given(snapshots, snapshots)
def test_equal_hashes_mean_an_empty_diff(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert (snapshot_hash(a) == snapshot_hash(b)) == (diff(a, b) == {})


def test_the_hash_ignores_key_order_and_empty_sections() -> None:
    one = {"os": {"kernel": "6.1", "arch": "x86_64"}, "services": {}}
    two = {"os": {"arch": "x86_64", "kernel": "6.1"}}

    assert snapshot_hash(one) == snapshot_hash(two)
    assert len(snapshot_hash(one)) == 64


def test_the_hash_is_sha256_of_the_canonical_json() -> None:
    import hashlib

    snapshot = {"packages": {"bash": "5.2", "é": "1"}}
    canonical = '{"packages":{"bash":"5.2","é":"1"}}'.encode()

    assert snapshot_hash(snapshot) == hashlib.sha256(canonical).hexdigest()


def test_the_diff_lists_added_removed_and_changed_items_sorted_by_key() -> None:
    old = {"packages": {"bash": "5.1", "curl": "7", "zsh": "5"}, "os": {"kernel": "6.1"}}
    new = {"packages": {"bash": "5.2", "zsh": "5", "apt": "2", "vim": "9"}, "os": {"kernel": "6.1"}}

    assert diff(old, new) == {
        "packages": {
            "added": [{"key": "apt", "value": "2"}, {"key": "vim", "value": "9"}],
            "removed": ["curl"],
            "changed": [{"key": "bash", "value": "5.2"}],
        }
    }


def test_a_value_changing_type_counts_as_a_change() -> None:
    assert diff({"s": {"k": 1}}, {"s": {"k": True}}) != {}
    assert diff({"s": {"k": 1}}, {"s": {"k": 1.0}}) != {}
