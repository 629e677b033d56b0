"""ECDH private set intersection over the prime-order group of edwards25519 (libsodium,
through PyNaCl; PyNaCl 1.6 has no ristretto255 bindings, so the group is the curve's main
subgroup, with every point received checked to be in it).

Each side hashes its keys to group elements, H(x), and raises them to a secret scalar
drawn for one run. Blinding commutes, (H(x)^a)^b = (H(x)^b)^a, so the two sides find the
keys they share by comparing doubly blinded points, and learn nothing of the other's other
keys: without a side's scalar, H(y)^b is a random-looking point (decisional Diffie-Hellman).
The protocol, its messages and what each side learns: docs/federation.md.
"""

import base64
import hashlib
import secrets

from nacl import bindings

POINT_BYTES = bindings.crypto_core_ed25519_BYTES  # 32
# Domain separation: a point of this protocol is never a point of another one, and two
# kinds of subject never collide (a dealer licence is not a firearm serial).
DOMAIN = b"enlace-psi-v1"


_from_uniform = bindings.crypto_core_ed25519_from_uniform
_add = bindings.crypto_core_ed25519_add
_mult = bindings.crypto_scalarmult_ed25519_noclamp


def _hash_bytes(data: bytes) -> bytes:
    """A group element from 64 bytes: the sum of the Elligator 2 images of both halves (each
    in the main subgroup, cofactor cleared by libsodium), so that H behaves as a random
    oracle into the group, as RFC 9380's hash_to_curve does with two field elements."""
    return _add(_from_uniform(data[:32]), _from_uniform(data[32:]))


def hash_to_point(kind: str, key: str) -> bytes:
    """H(kind, key): a group element from SHA-512 of the domain-separated key."""
    return _hash_bytes(hashlib.sha512(DOMAIN + b"\x00" + kind.encode() + b"\x00" + key.encode()).digest())


def new_secret() -> bytes:
    """A fresh secret scalar for one run, uniform modulo the group order (never reused,
    never sent)."""
    while True:
        scalar = bindings.crypto_core_ed25519_scalar_reduce(secrets.token_bytes(64))
        if any(scalar):
            return scalar


def blind(points: list[bytes], secret: bytes) -> list[bytes]:
    """Each point raised to the secret scalar, in the same order."""
    return [_mult(secret, point) for point in points]


def random_points(count: int) -> list[bytes]:
    """Padding: random group elements, indistinguishable from blinded keys."""
    return [_hash_bytes(secrets.token_bytes(64)) for _ in range(count)]


def padded_size(count: int, multiple: int) -> int:
    """The size a set of `count` keys is sent as: the next multiple of `multiple` (1: exact)."""
    multiple = max(1, int(multiple))
    return -(-count // multiple) * multiple if count else multiple if multiple > 1 else 0


def shuffled(items: list) -> list:
    """A uniformly random permutation (cryptographic randomness)."""
    items = list(items)
    secrets.SystemRandom().shuffle(items)
    return items


def pack(points: list[bytes]) -> str:
    """Points on the wire: base64 of their concatenation (32 bytes each)."""
    return base64.b64encode(b"".join(points)).decode("ascii")


def unpack(text: str, *, limit: int | None = None) -> list[bytes]:
    """Points from the wire; ValueError when the text is not a list of valid elements."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError, AttributeError) as exc:
        raise ValueError("not base64") from exc
    if len(raw) % POINT_BYTES:
        raise ValueError("not a whole number of points")
    count = len(raw) // POINT_BYTES
    if limit is not None and count > limit:
        raise ValueError("too many points")
    points = [raw[i : i + POINT_BYTES] for i in range(0, len(raw), POINT_BYTES)]
    # On the curve, canonical, in the main subgroup, not of small order (libsodium's check).
    valid = bindings.crypto_core_ed25519_is_valid_point
    for point in points:
        if not valid(point):
            raise ValueError("not a group element")
    return points


def handle(point: bytes) -> str:
    """The opaque match handle of a doubly blinded point: both sides hold it for a shared
    key, neither can tell from it which key it is."""
    return hashlib.sha256(DOMAIN + b"\x00handle\x00" + point).hexdigest()[:32]


def set_digest(kind: str, keys: list[str], salt: bytes) -> str:
    """The commitment to the set a side used: SHA-256 over a salt kept by that side and its
    sorted keys. The partner records it; without the salt it tells nothing of the keys, with
    the salt (kept in the local run record) an auditor can check it against the database."""
    hasher = hashlib.sha256(DOMAIN + b"\x00set\x00" + salt + b"\x00" + kind.encode())
    for key in sorted(keys):
        hasher.update(b"\x00" + key.encode())
    return hasher.hexdigest()


class Party:
    """One side of one run for one kind: its keys in the (shuffled) order it sends them."""

    def __init__(self, kind: str, keys: list[str], *, pad_multiple: int = 1):
        self.kind = kind
        self.secret = new_secret()
        unique = sorted(set(keys))
        padding = padded_size(len(unique), pad_multiple) - len(unique)
        # None marks a padding point: it can match nothing.
        self.order: list[str | None] = shuffled([*unique, *([None] * padding)])
        self.count = len(unique)

    def blinded_own(self) -> list[bytes]:
        """H(x)^s for each of our keys (random elements for padding), in our order."""
        secret, kind = self.secret, self.kind
        return [
            _mult(secret, hash_to_point(kind, key)) if key is not None else random_points(1)[0] for key in self.order
        ]

    def blind_theirs(self, points: list[bytes]) -> list[bytes]:
        return blind(points, self.secret)

    def matches(self, own_doubled: list[bytes], their_doubled: list[bytes]) -> dict[str, str]:
        """Our keys also on the other side, each with its match handle. `own_doubled` is our
        blinded points as the other side blinded them again (our order); `their_doubled`
        theirs as we did."""
        if len(own_doubled) != len(self.order):
            raise ValueError("the partner returned a different number of points")
        theirs = set(their_doubled)
        return {
            key: handle(point)
            for key, point in zip(self.order, own_doubled, strict=True)
            if key is not None and point in theirs
        }
