"""Hypothesis builds a strategy for a regular expression anew each time schemathesis asks, and
for a character class it adds every code point of every range one by one: the API's URL pattern
(nine classes of 65,000 characters each, registry/api/formats.py) cost about 5 s a build and was
built over 200 times per fuzz run. The strategy depends only on the pattern, its flags and the
alphabet, so the fuzz tests build each one once per process."""

import hypothesis.strategies._internal.regex as hypothesis_regex

_built: dict[tuple, object] = {}
_original = hypothesis_regex.base_regex_strategy


def _memoized(regex, *, parsed=None, alphabet=None):
    key = (regex.pattern, regex.flags, repr(alphabet))
    strategy = _built.get(key)
    if strategy is None:
        strategy = _built[key] = _original(regex, parsed=parsed, alphabet=alphabet)
    return strategy


def install() -> None:
    hypothesis_regex.base_regex_strategy = _memoized


def builds() -> int:
    """How many strategies were built (one per pattern, flags and alphabet)."""
    return len(_built)
