"""The keys and digests of stored flags are hashes of a canonical JSON text: the faster way
of writing it must give, byte for byte, what json.dumps gave (or every stored flag reopens)."""

import datetime
import hashlib
import json

import pytest

from flags.detectors import _key_prefix, _pair_hash, canonical_json, stable_hash
from flags.models import FlagKind


def reference_hash(*parts) -> str:
    """stable_hash as it was first written; the stored flags' keys were made with it."""
    raw = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


SAMPLES = [
    (),
    (FlagKind.SUBJECT_MATCH, 1, 2),
    (FlagKind.MANDATE_OVERLAP, 10**12, 0),
    ("mandate-overlap", -5, 7),
    (True, False, 1, 0),
    (None,),
    ("firearm", "ABC-123/ x", 4, 5, 6, None),
    ("vehicle", 'quote " back \\ slash', 1, 2, 3, 4),
    ("person", "Peña Núñez 😀 \u2028 tab\tnew\nline\x00", 9, 8, None, None),
    (3, datetime.date(2020, 2, 29)),
    (3, None),
    ([], [1, 2, 3], [3, True], [None, 1]),
    (1, 2, 3, [5, 4], "high"),
    (1, 2, 3, [5, 4], FlagKind.STALE_CONTACT),
    ({"b": 1, "a": [2, {"d": None, "c": 1.5}]}, 2.5, float("1e20")),
    (
        datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        object.__new__(type("X", (), {"__str__": lambda s: "x"})),
    ),
    ((1, 2), ("a", None)),
]


@pytest.mark.parametrize("parts", SAMPLES)
def test_stable_hash_is_the_hash_of_json_dumps(parts):
    assert canonical_json(*parts) == json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    assert stable_hash(*parts) == reference_hash(*parts)


@pytest.mark.parametrize("kind", FlagKind.values)
@pytest.mark.parametrize("pair", [(1, 2), (0, 0), (123456789, 98765), (-1, 10**15)])
def test_pair_keys_are_stable_hashes_of_the_kind_and_two_ids(kind, pair):
    assert _pair_hash(_key_prefix(kind), *pair) == reference_hash(kind, *pair)


def test_many_random_parts_hash_alike():
    import random

    rng = random.Random(7)
    alphabet = 'abcXYZ019 -_/"\\\t\né漢😀\x7f'
    for _ in range(2000):
        parts = []
        for _ in range(rng.randint(0, 7)):
            choice = rng.randint(0, 5)
            if choice == 0:
                parts.append(rng.randint(-(10**9), 10**12))
            elif choice == 1:
                parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))))
            elif choice == 2:
                parts.append(None)
            elif choice == 3:
                parts.append(sorted(rng.randint(0, 10**6) for _ in range(rng.randint(0, 5))))
            elif choice == 4:
                parts.append(datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randint(0, 10000)))
            else:
                parts.append(rng.choice([True, False, 1.25]))
        assert stable_hash(*parts) == reference_hash(*parts), parts
