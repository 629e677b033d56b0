"""Signed messages between two Enlace instances: a subset of HTTP Message Signatures
(RFC 9421) with Ed25519 (PyNaCl), over the method, path and body digest of a request
and the status and body digest of a response, with a creation time and a nonce.

A request carries:
    Content-Digest: sha-256=:<base64>:
    Signature-Input: enlace=("@method" "@path" "content-digest");created=<unix>;nonce="<n>";keyid="<id>";alg="ed25519"
    Signature: enlace=:<base64 Ed25519 signature of the signature base>:
A response covers ("@status" "content-digest") and names the request's nonce as its `tag`,
so a recorded response cannot be played back for another request.
"""

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

LABEL = "enlace"
ALG = "ed25519"
# How far a signature's creation time may be from our clock (seconds).
MAX_SKEW = 300
REQUEST_COMPONENTS = ("@method", "@path", "content-digest")
RESPONSE_COMPONENTS = ("@status", "content-digest")

_INPUT = re.compile(
    r'^enlace=\((?P<components>[^)]*)\);created=(?P<created>\d{1,12});nonce="(?P<nonce>[A-Za-z0-9_-]{16,64})"'
    r';keyid="(?P<keyid>[A-Za-z0-9._-]{1,100})";alg="ed25519"(?:;tag="(?P<tag>[A-Za-z0-9_-]{16,64})")?$'
)
_SIGNATURE = re.compile(r"^enlace=:(?P<value>[A-Za-z0-9+/=]{80,100}):$")


class SignatureError(Exception):
    """A message that is unsigned, malformed, stale or signed by another key."""


def new_signing_key() -> tuple[str, str]:
    """(private seed, public key), both base64: what `federation_keygen` prints."""
    key = SigningKey.generate()
    return base64.b64encode(bytes(key)).decode(), base64.b64encode(bytes(key.verify_key)).decode()


def signing_key(seed_b64: str) -> SigningKey:
    return SigningKey(base64.b64decode(seed_b64))


def public_key_of(seed_b64: str) -> str:
    return base64.b64encode(bytes(signing_key(seed_b64).verify_key)).decode()


def verify_key(public_b64: str) -> VerifyKey:
    raw = base64.b64decode(public_b64, validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return VerifyKey(raw)


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def _params(components: tuple[str, ...], created: int, nonce: str, keyid: str, tag: str | None) -> str:
    names = " ".join(f'"{name}"' for name in components)
    text = f'({names});created={created};nonce="{nonce}";keyid="{keyid}";alg="{ALG}"'
    return text + (f';tag="{tag}"' if tag else "")


def _base(values: dict[str, str], params: str) -> bytes:
    lines = [f'"{name}": {value}' for name, value in values.items()]
    lines.append(f'"@signature-params": {params}')
    return "\n".join(lines).encode()


@dataclass(frozen=True)
class Signed:
    """What a verified signature vouches for."""

    keyid: str
    created: int
    nonce: str
    tag: str | None


def sign(
    key: SigningKey, keyid: str, values: dict[str, str], *, tag: str | None = None, now: float | None = None
) -> dict[str, str]:
    """The Signature-Input and Signature headers for the component values (in order)."""
    created = int(now if now is not None else time.time())
    nonce = secrets.token_urlsafe(24)
    params = _params(tuple(values), created, nonce, keyid, tag)
    signature = key.sign(_base(values, params)).signature
    return {
        "Signature-Input": f"{LABEL}={params}",
        "Signature": f"{LABEL}=:{base64.b64encode(signature).decode()}:",
    }


def sign_request(key: SigningKey, keyid: str, method: str, path: str, body: bytes) -> dict[str, str]:
    digest = content_digest(body)
    headers = sign(key, keyid, {"@method": method.upper(), "@path": path, "content-digest": digest})
    headers["Content-Digest"] = digest
    return headers


def sign_response(key: SigningKey, keyid: str, status: int, body: bytes, request_nonce: str) -> dict[str, str]:
    digest = content_digest(body)
    headers = sign(key, keyid, {"@status": str(status), "content-digest": digest}, tag=request_nonce)
    headers["Content-Digest"] = digest
    return headers


def parse(signature_input: str | None) -> Signed:
    """The parameters of a Signature-Input header (not yet verified)."""
    match = _INPUT.match(signature_input or "")
    if not match:
        raise SignatureError("missing or malformed Signature-Input")
    return Signed(match["keyid"], int(match["created"]), match["nonce"], match["tag"])


def verify(
    keys: list[VerifyKey],
    values: dict[str, str],
    headers: dict[str, str | None],
    body: bytes,
    *,
    now: float | None = None,
) -> Signed:
    """Check the signature headers against the component values and the body; return what
    was signed. Raises SignatureError. Replays (a nonce seen before) are the caller's check."""
    match = _INPUT.match(headers.get("Signature-Input") or "")
    if not match:
        raise SignatureError("missing or malformed Signature-Input")
    components = tuple(name.strip('"') for name in match["components"].split(" ") if name)
    if components != tuple(values):
        raise SignatureError("the signature does not cover the required components")
    if headers.get("Content-Digest") != content_digest(body) or values.get("content-digest") != content_digest(body):
        raise SignatureError("the body does not match its Content-Digest")
    created = int(match["created"])
    if abs((now if now is not None else time.time()) - created) > MAX_SKEW:
        raise SignatureError("the signature is too old or from the future")
    sig_match = _SIGNATURE.match(headers.get("Signature") or "")
    if not sig_match:
        raise SignatureError("missing or malformed Signature")
    try:
        signature = base64.b64decode(sig_match["value"], validate=True)
    except ValueError as exc:
        raise SignatureError("malformed Signature") from exc
    params = _params(components, created, match["nonce"], match["keyid"], match["tag"])
    message = _base(values, params)
    for key in keys:
        try:
            key.verify(message, signature)
        except BadSignatureError:
            continue
        return Signed(match["keyid"], created, match["nonce"], match["tag"])
    raise SignatureError("bad signature")
