"""codec.loads on the stdlib backend calls the decoder's scanner directly (no whitespace
matches) and falls back to ``JSONDecoder.decode`` for anything that is not one document from
the first character to the last: the outcome, value or error, must be ``decode()``'s."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from customer_protocol import RemoteProtocolError, codec

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)
AROUND = st.sampled_from(["", " ", "\n\t", "x", ",", "]", "}", "1", '"', " [2]", "\x00", "{}"])


def _outcome(decode: object, text: str) -> tuple[str, object]:
    try:
        return ("ok", decode(text))  # type: ignore[operator]
    except RemoteProtocolError as exc:
        return ("error", exc.args[0])
    except (ValueError, RecursionError) as exc:
        return ("error", f"malformed JSON: {type(exc).__name__}")


@settings(max_examples=400, deadline=None)
@given(value=VALUES, before=AROUND, after=AROUND, cut=st.integers(0, 3))
def test_the_scanner_shortcut_is_json_decode(
    value: object, before: str, after: str, cut: int
) -> None:
    text = before + json.dumps(value) + after
    text = text[: len(text) - cut]
    previous = codec.use_orjson(False)
    try:
        got = _outcome(lambda t: codec.loads(t.encode()), text)
        got_text = _outcome(codec.loads, text)
    finally:
        codec.use_orjson(previous)
    # The decoder with the integer hook: the one codec.loads takes for 20+ digit runs, and
    # the same as the other one for every shorter integer.
    expected = _outcome(codec._DECODER.decode, text)
    assert got == expected
    assert got_text == expected
