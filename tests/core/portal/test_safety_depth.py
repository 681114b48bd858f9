"""JSON nesting is measured outside strings, one level at a time, without recursion."""

from __future__ import annotations

import pytest

from secondopinion_desktop.core.portal import safety


@pytest.mark.parametrize("text, deep", [
    ("[" * 101 + "]" * 101, True),
    ("[" * 100 + "]" * 100, False),
    ("[{" * 51 + "}]" * 51, True),  # one level a pass, whatever the kind of bracket
    ("[{" * 50 + "}]" * 50, False),
    ('["' + "[" * 500 + '"]', False),  # brackets inside a string do not nest
    ('["\\"' + "[" * 500 + '"]', False),  # nor after an escaped quote inside it
    ('["a\\\\", "' + "[" * 500 + '"]', False),  # an escaped backslash ends before the closing quote
    ('["a\\n' + "{" * 500 + '"]', False),
    ('["a\\\\",' + "[" * 200 + "]" * 200 + "]", True),
    ('["a\\\\\\"",' + "[" * 200 + "]" * 200 + "]", True),
    ("[" * 10_000 + "]" * 10_000, True),
    ("[" * 200, True),  # brackets that never close count by their longest run
    ("[" * 50 + "]" * 50 + "[" * 60, False),
    ("[" * 50 + "]" + "[" * 60, True),  # 49 still open, then 60 more
    ('["\ud800' + "[" * 300 + '"]', False),
])
def test_depth(text: str, deep: bool) -> None:
    assert safety._too_deep(text, 100) is deep


def test_a_deep_document_is_refused_naming_it_and_a_shallow_one_read() -> None:
    with pytest.raises(safety.Refused, match="deep.json nests its data more than 100 levels"):
        safety.load_json("[" * 5000 + "]" * 5000, "downloads/deep.json")
    assert safety.load_json('{"a": ["[[[[", {"b": "}}}}"}]}', "fine.json") == {"a": ["[[[[", {"b": "}}}}"}]}
