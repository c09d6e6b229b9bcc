"""Hypothesis strategies: arbitrary JSON values, and valid manifests with one part replaced."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from tests.unit.listing.manifests import valid_manifest

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value (no NaN, as JSON has none)."""
    return st.recursive(
        _scalars,
        lambda children: (
            st.lists(children, max_size=5)
            | st.dictionaries(st.text(max_size=12), children, max_size=5)
        ),
        max_leaves=25,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.extend(_paths(child, (*prefix, i)))
    return out


_PATHS = _paths(valid_manifest())[1:]


@st.composite
def mutated_manifests(draw: st.DrawFn) -> Any:
    """The valid manifest with one member replaced, removed or added."""
    data = valid_manifest()
    path = draw(st.sampled_from(_PATHS))
    *parents, last = path
    node: Any = data
    for step in parents:
        node = node[step]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete":
        del node[last]
    elif action == "add" and isinstance(node, dict):
        node[draw(st.text(min_size=1, max_size=8))] = draw(json_values())
    else:
        original = node[last]
        similar = json_values()
        if isinstance(original, str):
            similar = st.text(max_size=200) | similar
        node[last] = copy.deepcopy(draw(similar))
    return data
