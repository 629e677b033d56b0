"""The endpoints a partner registry calls (docs/federation.md). Not DRF: there is no user,
only a partner authenticated by the Ed25519 signature of each request; every answer,
refusals included, is signed by us so the partner can trust it."""

import json
import logging

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from federation import services, signing
from federation.models import Alert, Partner

logger = logging.getLogger("enlace.federation")

# Room for the JSON around the points (base64: 4 bytes for every 3).
BODY_OVERHEAD = 256 * 1024


def _answer(status: int, data: dict, nonce: str | None) -> HttpResponse:
    body = json.dumps(data, separators=(",", ":")).encode()
    response = HttpResponse(body, status=status, content_type="application/json")
    try:
        key = services.our_key()
    except services.FederationError:
        return response  # not configured: nothing to sign with (and nothing was exchanged)
    for name, value in signing.sign_response(key, services.instance_id(), status, body, nonce or "").items():
        response[name] = value
    return response


def _refuse(status: int, code: str, detail: str, nonce: str | None = None) -> HttpResponse:
    return _answer(status, {"code": code, "detail": detail}, nonce)


def _authenticated(request) -> tuple[Partner | None, dict | None, HttpResponse | None]:
    """The registered, enabled partner that signed this request, and its JSON body."""
    try:
        claimed = signing.parse(request.headers.get("Signature-Input"))
    except signing.SignatureError:
        return None, None, _refuse(401, "unsigned", _("Sign the request (Signature-Input and Signature)."))
    partner = Partner.objects.filter(instance_id=claimed.keyid, enabled=True).first()
    if partner is None:
        logger.warning("federation request from an unknown or disabled partner %s", claimed.keyid)
        return None, None, _refuse(403, "unknown-partner", _("Unknown or disabled partner."), claimed.nonce)
    limit = partner.max_set_size * services.psi.POINT_BYTES * 4 // 3 + BODY_OVERHEAD
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return None, None, _refuse(413, "too-large", _("The request is larger than agreed."), claimed.nonce)
    body = request.read(limit + 1)
    if len(body) > limit:
        return None, None, _refuse(413, "too-large", _("The request is larger than agreed."), claimed.nonce)
    headers = {name: request.headers.get(name) for name in ("Signature-Input", "Signature", "Content-Digest")}
    values = {"@method": request.method, "@path": request.path, "content-digest": headers["Content-Digest"] or ""}
    try:
        signed = signing.verify(partner.verify_keys(), values, headers, body)
    except signing.SignatureError as exc:
        services.raise_alert(partner, Alert.Kind.BAD_SIGNATURE, reason=str(exc), path=request.path)
        return None, None, _refuse(401, "bad-signature", _("The signature is not valid: %(error)s") % {"error": exc})
    if not services.remember_nonce(partner, signed.nonce):
        services.raise_alert(partner, Alert.Kind.BAD_SIGNATURE, reason="replayed nonce", path=request.path)
        return None, None, _refuse(401, "replayed", _("This request was already received."), signed.nonce)
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return None, None, _refuse(400, "body", _("The body must be a JSON object."), signed.nonce)
    return partner, {"payload": payload, "nonce": signed.nonce}, None


def _endpoint(step):
    @csrf_exempt
    @require_POST
    def view(request):
        partner, message, refusal = _authenticated(request)
        if refusal is not None:
            return refusal
        try:
            # No savepoint of ours: a refused step still records its run and alerts (the
            # request's transaction commits the refusal the view answers).
            data = step(partner, message["payload"])
        except services.FederationError as exc:
            return _refuse(exc.status, exc.code, str(exc), message["nonce"])
        return _answer(200, data, message["nonce"])

    return view


psi_start = _endpoint(services.respond_start)
psi_finish = _endpoint(services.respond_finish)
psi_liaisons = _endpoint(services.respond_liaisons)
