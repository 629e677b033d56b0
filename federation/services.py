"""The exchange with partner registries (docs/federation.md): building this side's sets,
the initiator's run of the protocol over signed HTTP, the responder's two steps, the abuse
limits, the matches and their flags, and the schedule's retries.

Nothing here writes, logs or returns a key that the partner does not also hold: only the
counts, digests and blinded points of our sets leave this instance, and the liaison details
of matched subjects are exchanged by opaque match handle."""

import datetime
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import psi, signing
from federation.models import Alert, Match, Nonce, Partner, PendingExchange, Run

logger = logging.getLogger("enlace.federation")

API_PREFIX = "/api/federation/v1/"
START, FINISH, LIAISONS = "psi/start/", "psi/finish/", "psi/liaisons/"
# Cases whose subjects take part: live work, not closed or archived cases.
LIVE_CASE_STATUSES = ("open", "active")
# How long a responder keeps its state between a partner's two requests.
PENDING_SECONDS = 600
# Waits before the scheduled exchange retries a partner that failed (then the last, capped).
BACKOFF = [
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=12),
]
CHUNK = 5000


class FederationError(Exception):
    """A run that cannot go on; `code` says why, `status` is the HTTP answer for a responder."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.status = status


class TransportError(Exception):
    """The partner is unreachable or answered with an error (or an unsigned answer)."""

    def __init__(self, message: str, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


# --- this instance -------------------------------------------------------------------


def instance_id() -> str:
    return settings.ENLACE_FEDERATION_ID


def our_key():
    seed = settings.ENLACE_FEDERATION_SIGNING_KEY
    if not (settings.ENLACE_FEDERATION_ID and seed):
        raise FederationError(
            "not-configured", _("Federation is not configured: set ENLACE_FEDERATION_ID and its signing key."), 503
        )
    return signing.signing_key(seed)


def local_keys(kind: str) -> list[str]:
    """The distinct normalized keys of this kind among the subjects of our live cases: all,
    and only, what this side puts in a comparison."""
    from cases.models import CaseSubject

    return list(
        CaseSubject.objects.filter(kind=kind, case__status__in=LIVE_CASE_STATUSES)
        .order_by()
        .values_list("normalized_key", flat=True)
        .distinct()
    )


def commitment_text(run_id: str, kind: str, count: int, digest: str) -> bytes:
    return f"enlace-psi-commitment-v1\n{run_id}\n{kind}\n{count:d}\n{digest}".encode()


def make_commitment(run_id: str, kind: str, party: psi.Party) -> tuple[dict, str, str]:
    """The signed count and digest of the set we use: (commitment, digest, salt)."""
    salt = secrets.token_bytes(16)
    digest = psi.set_digest(kind, [key for key in party.order if key is not None], salt)
    sent = len(party.order)
    signature = our_key().sign(commitment_text(run_id, kind, sent, digest)).signature
    import base64

    return (
        {"count": sent, "digest": digest, "signature": base64.b64encode(signature).decode()},
        digest,
        salt.hex(),
    )


def check_commitment(partner: Partner, run_id: str, kind: str, commitment, points: int) -> tuple[int, str, str]:
    """The partner's signed (count, digest, signature), verified; FederationError otherwise."""
    import base64

    from nacl.exceptions import BadSignatureError

    if not isinstance(commitment, dict):
        raise FederationError("commitment", _("The set commitment is missing."))
    count, digest, signature = commitment.get("count"), commitment.get("digest"), commitment.get("signature")
    if not isinstance(count, int) or not isinstance(digest, str) or len(digest) != 64 or not isinstance(signature, str):
        raise FederationError("commitment", _("The set commitment must give a count, a digest and a signature."))
    if count != points:
        raise FederationError("commitment", _("The set commitment does not count the points sent."))
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        raise FederationError("commitment", _("The set commitment's signature is not base64.")) from None
    message = commitment_text(run_id, kind, count, digest)
    for key in partner.verify_keys():
        try:
            key.verify(message, raw)
            return count, digest, signature
        except (BadSignatureError, ValueError):
            continue
    raise FederationError("commitment", _("The set commitment is not signed by the partner."), 401)


# --- abuse limits --------------------------------------------------------------------


def check_limits(partner: Partner, kind: str, count: int, *, exclude_run: str | None = None) -> None:
    """Refuse a partner's set over its limits (size, growth since its last run, runs per
    day); alert admin staff when it grows fast. Raises FederationError."""
    since = timezone.now() - datetime.timedelta(days=1)
    runs = Run.objects.filter(partner=partner, kind=kind, started_at__gte=since).exclude(status=Run.Status.REFUSED)
    if exclude_run:
        runs = runs.exclude(run_id=exclude_run)
    if runs.values("run_id").distinct().count() >= partner.max_runs_per_day:
        raise_alert(
            partner, Alert.Kind.OVER_LIMIT, subject_kind=kind, limit="runs-per-day", value=partner.max_runs_per_day
        )
        raise FederationError("over-limit", _("The partner has used its runs for today."), 429)
    if count > partner.max_set_size:
        raise_alert(partner, Alert.Kind.OVER_LIMIT, subject_kind=kind, limit="set-size", value=count)
        raise FederationError("over-limit", _("The partner's set is larger than agreed."), 403)
    previous = (
        Run.objects.filter(partner=partner, kind=kind, status=Run.Status.COMPLETED, remote_count__isnull=False)
        .order_by("-started_at", "-id")
        .values_list("remote_count", flat=True)
        .first()
    )
    growth = count - previous if previous is not None else 0
    if growth > partner.max_growth_per_run:
        raise_alert(partner, Alert.Kind.OVER_LIMIT, subject_kind=kind, limit="growth", value=growth, previous=previous)
        raise FederationError("over-limit", _("The partner's set grew more than agreed since its last run."), 403)
    if growth > partner.alert_growth:
        raise_alert(partner, Alert.Kind.FAST_GROWTH, subject_kind=kind, growth=growth, previous=previous, count=count)


def raise_alert(partner: Partner | None, kind: str, **detail) -> Alert:
    """Record an alert and e-mail admin staff (after the commit, never blocking the run)."""
    from registry.models import Role, User

    alert = Alert.objects.create(partner=partner, kind=kind, detail=detail)
    logger.warning("federation alert %s partner=%s %s", kind, getattr(partner, "instance_id", "-"), detail)
    recipients = list(
        User.objects.filter(is_active=True, groups__name=Role.ADMIN_STAFF)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )

    def mail():
        subject = _("Enlace federation alert: %(kind)s (%(partner)s)") % {
            "kind": alert.get_kind_display(),
            "partner": partner or "-",
        }
        body = json.dumps(detail, sort_keys=True, default=str)
        try:
            send_mail(subject, body, None, recipients, fail_silently=True)
        except Exception:  # an alert e-mail must never break the exchange
            logger.exception("could not e-mail federation alert %s", alert.pk)

    if recipients:
        transaction.on_commit(mail)
    return alert


# --- the liaison details of matched subjects -----------------------------------------


def local_sides(kind: str, keys: list[str]) -> dict[str, list[dict]]:
    """For each of our matched keys: the lead agency and the lead's liaison contact of each
    live case holding it, as the partner is told them (slugs and contact details only)."""
    from cases.models import CaseParticipant, CaseSubject

    cases: dict[str, set[int]] = {}
    for start in range(0, len(keys), CHUNK):
        rows = CaseSubject.objects.filter(
            kind=kind, normalized_key__in=keys[start : start + CHUNK], case__status__in=LIVE_CASE_STATUSES
        ).values_list("normalized_key", "case_id")
        for key, case_id in rows:
            cases.setdefault(key, set()).add(case_id)
    all_cases = sorted({pk for ids in cases.values() for pk in ids})
    leads: dict[int, dict] = {}
    for start in range(0, len(all_cases), CHUNK):
        participants = CaseParticipant.objects.filter(
            case_id__in=all_cases[start : start + CHUNK], role=CaseParticipant.Role.LEAD
        ).select_related("agency", "contact")
        for participant in participants:
            contact = participant.contact
            if contact is not None and contact.blocked_at is None:
                contact_data = {
                    "name": contact.name,
                    "email": contact.email,
                    "phone": str(contact.phone) if contact.phone else "",
                    "title": contact.title,
                }
            else:
                contact_data = None
            leads[participant.case_id] = {"agency": participant.agency.slug, "contact": contact_data}
    sides = {}
    for key, case_ids in cases.items():
        seen, listed = set(), []
        for case_id in sorted(case_ids):
            side = leads.get(case_id)
            if side is None:
                continue
            identity = json.dumps(side, sort_keys=True)
            if identity not in seen:
                seen.add(identity)
                listed.append(side)
        sides[key] = listed
    return sides


def read_sides(partner: Partner, sides) -> list[dict]:
    """The partner's side of one match as we store it: its agency by our id (only an agency
    it speaks for), its liaison contact's details."""
    if not isinstance(sides, list):
        return []
    allowed = dict(partner.agencies.values_list("slug", "pk"))
    stored = []
    for side in sides[:20]:
        if not isinstance(side, dict):
            continue
        contact = side.get("contact")
        if isinstance(contact, dict):
            contact = {name: str(contact.get(name) or "")[:200] for name in ("name", "email", "phone", "title")}
            if not contact["name"]:
                contact = None
        else:
            contact = None
        stored.append({"agency": allowed.get(str(side.get("agency") or "")), "contact": contact})
    return stored


# --- matches and flags ----------------------------------------------------------------


@dataclass
class Applied:
    matches: int = 0
    opened: int = 0
    closed: int = 0
    changed_keys: set[str] = field(default_factory=set)


def apply_matches(partner: Partner, kind: str, matched: dict[str, str]) -> Applied:
    """Record this run's matches (key → handle): new ones open, gone ones close, the rest
    keep their identity. Flags follow in `sync_match_flags`."""
    now = timezone.now()
    result = Applied(matches=len(matched))
    existing = {m.normalized_key: m for m in Match.objects.filter(partner=partner, kind=kind)}
    new, updated = [], []
    for key, handle in matched.items():
        match = existing.get(key)
        if match is None:
            new.append(Match(partner=partner, kind=kind, normalized_key=key, handle=handle, first_matched_at=now))
            result.opened += 1
            result.changed_keys.add(key)
            continue
        if not match.active:
            match.active, match.closed_at, match.remote = True, None, []
            result.opened += 1
            result.changed_keys.add(key)
        match.handle, match.last_matched_at = handle, now
        updated.append(match)
    for key, match in existing.items():
        if key not in matched and match.active:
            match.active, match.closed_at, match.handle = False, now, ""
            updated.append(match)
            result.closed += 1
            result.changed_keys.add(key)
    Match.objects.bulk_create(new, batch_size=1000)
    Match.objects.bulk_update(updated, ["active", "closed_at", "handle", "last_matched_at", "remote"], batch_size=1000)
    return result


def store_sides(partner: Partner, kind: str, sides_by_handle) -> set[str]:
    """The partner's liaison details for our matches of this run, by handle; the keys whose
    details changed."""
    if not isinstance(sides_by_handle, dict):
        return set()
    changed = set()
    matches = Match.objects.filter(partner=partner, kind=kind, active=True).exclude(handle="")
    by_handle = {m.handle: m for m in matches}
    updated = []
    for handle, sides in sides_by_handle.items():
        match = by_handle.get(handle)
        if match is None:
            continue  # not a match of ours: ignored
        remote = read_sides(partner, sides)
        if remote != match.remote:
            match.remote = remote
            updated.append(match)
            changed.add(match.normalized_key)
    Match.objects.bulk_update(updated, ["remote"], batch_size=1000)
    return changed


def sides_for_handles(partner: Partner, kind: str, handles) -> dict[str, list[dict]]:
    """Our liaison details for the handles of our current matches with the partner (other
    handles get nothing)."""
    if not isinstance(handles, list):
        return {}
    wanted = {h for h in handles if isinstance(h, str)}
    matches = dict(
        Match.objects.filter(partner=partner, kind=kind, active=True, handle__in=list(wanted)[:CHUNK]).values_list(
            "normalized_key", "handle"
        )
    )
    sides = local_sides(kind, list(matches))
    return {handle: sides.get(key, []) for key, handle in matches.items()}


def sync_match_flags(kind: str, keys: set[str]) -> None:
    """Recompute the subject-match flags of the local cases holding these keys."""
    from cases.models import CaseSubject
    from flags.models import FlagKind
    from flags.services import sync_flags

    if not keys:
        return
    keys = sorted(keys)
    case_ids: set[int] = set()
    for start in range(0, len(keys), CHUNK):
        case_ids.update(
            CaseSubject.objects.filter(kind=kind, normalized_key__in=keys[start : start + CHUNK]).values_list(
                "case_id", flat=True
            )
        )
    sync_flags(kind=FlagKind.SUBJECT_MATCH, ids=case_ids)


# --- the signed transport ---------------------------------------------------------------


def post(partner: Partner, step: str, payload: dict, stats: dict) -> dict:
    """POST a signed JSON body to the partner; its signed JSON answer. TransportError when
    it is down, refuses or answers unsigned."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    url = partner.base_url.rstrip("/") + API_PREFIX + step
    path = urlsplit(url).path
    headers = signing.sign_request(our_key(), instance_id(), "POST", path, body)
    nonce = signing.parse(headers["Signature-Input"]).nonce
    if not url.startswith(("https://", "http://")):
        raise TransportError(_("The partner's base URL must be http or https."))
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 (scheme checked above)
    request.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        request.add_header(name, value)
    stats["bytes_sent"] = stats.get("bytes_sent", 0) + len(body)
    try:
        with urllib.request.urlopen(request, timeout=settings.ENLACE_FEDERATION_TIMEOUT) as response:  # noqa: S310
            status, answer, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        status, answer, got = exc.code, exc.read(), exc.headers
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise TransportError(_("The partner could not be reached: %(error)s") % {"error": exc}) from None
    stats["bytes_received"] = stats.get("bytes_received", 0) + len(answer)
    _trace(step, body, answer)
    try:
        signed = signing.verify(
            partner.verify_keys(),
            {"@status": str(status), "content-digest": got.get("Content-Digest") or ""},
            {name: got.get(name) for name in ("Signature-Input", "Signature", "Content-Digest")},
            answer,
        )
    except signing.SignatureError as exc:
        raise TransportError(
            _("The partner's answer (HTTP %(status)s) is not signed by it: %(error)s")
            % {"status": status, "error": exc},
            status,
        ) from None
    if signed.tag != nonce:
        raise TransportError(_("The partner's answer belongs to another request."), status)
    try:
        data = json.loads(answer)
    except ValueError:
        raise TransportError(_("The partner's answer is not JSON."), status) from None
    if status != 200:
        raise TransportError(
            _("The partner refused (HTTP %(status)s): %(detail)s") % {"status": status, "detail": data.get("detail")},
            status,
            str(data.get("code") or ""),
        )
    return data


def _trace(step: str, sent: bytes, received: bytes) -> None:
    folder = settings.ENLACE_FEDERATION_TRACE_DIR
    if not folder:
        return
    import pathlib

    path = pathlib.Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.time_ns()}-{step.replace('/', '-')}"
    (path / f"{stamp}sent.json").write_bytes(sent)
    (path / f"{stamp}received.json").write_bytes(received)


# --- the initiator -------------------------------------------------------------------


def exchange(partner: Partner, *, user=None, kinds: list[str] | None = None) -> list[Run]:
    """Run the protocol with the partner for each agreed kind (or those given); one Run each.
    A kind that fails does not stop the others."""
    if not partner.enabled:
        raise FederationError("disabled", _("The partner is disabled."), 403)
    runs = []
    for kind in kinds or partner.kinds:
        if kind not in partner.kinds:
            raise FederationError("kind", _("“%(kind)s” is not a kind agreed with this partner.") % {"kind": kind})
        runs.append(exchange_kind(partner, kind, user=user))
    return runs


def exchange_kind(partner: Partner, kind: str, *, user=None) -> Run:
    run_id = uuid.uuid4().hex
    run = Run.objects.create(partner=partner, run_id=run_id, kind=kind, role=Run.Role.INITIATOR, initiated_by=user)
    stats: dict = {}
    try:
        party = psi.Party(kind, local_keys(kind), pad_multiple=partner.pad_multiple)
        commitment, digest, salt = make_commitment(run_id, kind, party)
        run.local_count, run.local_sent, run.local_digest, run.local_salt = party.count, len(party.order), digest, salt
        started = post(
            partner,
            START,
            {"run_id": run_id, "kind": kind, "commitment": commitment, "points": psi.pack(party.blinded_own())},
            stats,
        )
        limit = partner.max_set_size
        try:
            own_doubled = psi.unpack(started.get("doubled") or "", limit=len(party.order))
            theirs = psi.unpack(started.get("points") or "", limit=limit)
        except ValueError as exc:
            raise FederationError(
                "points", _("The partner's points are malformed: %(error)s") % {"error": exc}
            ) from None
        count, remote_digest, signature = check_commitment(
            partner, run_id, kind, started.get("commitment"), len(theirs)
        )
        run.remote_count, run.remote_sent, run.remote_digest, run.remote_signature = (
            count,
            len(theirs),
            remote_digest,
            signature,
        )
        # The partner's set is held to the same limits as ours is by it: over them, we stop
        # here, before sending what would let it learn its matches.
        check_limits(partner, kind, count, exclude_run=run_id)
        their_doubled = party.blind_theirs(theirs)
        matched = party.matches(own_doubled, their_doubled)
        post(partner, FINISH, {"run_id": run_id, "kind": kind, "doubled": psi.pack(their_doubled)}, stats)
        with transaction.atomic():
            applied = apply_matches(partner, kind, matched)
        ours = local_sides(kind, list(matched))
        try:
            answer = post(
                partner,
                LIAISONS,
                {"run_id": run_id, "kind": kind, "sides": {h: ours.get(k, []) for k, h in matched.items()}},
                stats,
            )
            with transaction.atomic():
                applied.changed_keys |= store_sides(partner, kind, answer.get("sides"))
        except TransportError as exc:
            run.error = str(exc)  # the matches stand; their liaison details come next run
        with transaction.atomic():
            sync_match_flags(kind, applied.changed_keys)
        run.status, run.matches, run.opened, run.closed = (
            Run.Status.COMPLETED,
            applied.matches,
            applied.opened,
            applied.closed,
        )
    except FederationError as exc:
        run.status = Run.Status.REFUSED if exc.code == "over-limit" else Run.Status.FAILED
        run.error = str(exc)
    except TransportError as exc:
        run.status = Run.Status.REFUSED if exc.status in (401, 403, 429) else Run.Status.FAILED
        run.error = str(exc)
    run.finished_at = timezone.now()
    run.bytes_sent, run.bytes_received = stats.get("bytes_sent", 0), stats.get("bytes_received", 0)
    run.save()
    logger.info(
        "federation run %s partner=%s kind=%s role=initiator status=%s ours=%s theirs=%s matches=%s",
        run_id, partner.instance_id, kind, run.status, run.local_count, run.remote_count, run.matches,
    )  # fmt: skip
    return run


# --- the responder -------------------------------------------------------------------


def _agreed(partner: Partner, kind) -> str:
    if not isinstance(kind, str) or kind not in partner.kinds:
        raise FederationError("kind", _("“kind” must be one of the kinds agreed with this registry."))
    return kind


def _run_id(value) -> str:
    if not isinstance(value, str) or not (8 <= len(value) <= 40) or not value.isalnum():
        raise FederationError("run_id", _("“run_id” must be 8 to 40 letters or digits."))
    return value


def respond_start(partner: Partner, payload: dict) -> dict:
    kind = _agreed(partner, payload.get("kind"))
    run_id = _run_id(payload.get("run_id"))
    if Run.objects.filter(partner=partner, run_id=run_id, kind=kind, role=Run.Role.RESPONDER).exists():
        raise FederationError("run_id", _("This run was already started."), 409)
    run = Run(partner=partner, run_id=run_id, kind=kind, role=Run.Role.RESPONDER)
    try:
        try:
            # Bounded by the body's size limit; the signed count is held to the partner's limits below.
            theirs = psi.unpack(payload.get("points") or "")
        except ValueError as exc:
            raise FederationError("points", _("“points” is malformed: %(error)s") % {"error": exc}) from None
        count, digest, signature = check_commitment(partner, run_id, kind, payload.get("commitment"), len(theirs))
        run.remote_count, run.remote_sent, run.remote_digest, run.remote_signature = (
            count,
            len(theirs),
            digest,
            signature,
        )
        check_limits(partner, kind, count)
    except FederationError as exc:
        run.status, run.error, run.finished_at = Run.Status.REFUSED, str(exc), timezone.now()
        run.save()
        raise
    party = psi.Party(kind, local_keys(kind), pad_multiple=partner.pad_multiple)
    commitment, local_digest, salt = make_commitment(run_id, kind, party)
    doubled = party.blind_theirs(theirs)
    run.local_count, run.local_sent, run.local_digest, run.local_salt = (
        party.count,
        len(party.order),
        local_digest,
        salt,
    )
    with transaction.atomic():
        run.save()
        PendingExchange.objects.create(
            run=run,
            secret=party.secret,
            order=party.order,
            doubled=b"".join(doubled),
            expires_at=timezone.now() + datetime.timedelta(seconds=PENDING_SECONDS),
        )
    return {
        "run_id": run_id,
        "kind": kind,
        "doubled": psi.pack(doubled),
        "points": psi.pack(party.blinded_own()),
        "commitment": commitment,
    }


def _pending_run(partner: Partner, payload: dict) -> Run:
    kind = _agreed(partner, payload.get("kind"))
    run_id = _run_id(payload.get("run_id"))
    run = (
        Run.objects.select_for_update()
        .filter(partner=partner, run_id=run_id, kind=kind, role=Run.Role.RESPONDER)
        .first()
    )
    if run is None:
        raise FederationError("run_id", _("No such run."), 404)
    return run


def respond_finish(partner: Partner, payload: dict) -> dict:
    with transaction.atomic():
        run = _pending_run(partner, payload)
        pending = PendingExchange.objects.filter(run=run).first()
        if run.status != Run.Status.PENDING or pending is None or pending.expires_at < timezone.now():
            raise FederationError("run_id", _("This run is over."), 409)
        party = psi.Party(run.kind, [])
        party.secret, party.order = bytes(pending.secret), list(pending.order)
        raw = bytes(pending.doubled)
        their_doubled = [raw[i : i + psi.POINT_BYTES] for i in range(0, len(raw), psi.POINT_BYTES)]
        try:
            own_doubled = psi.unpack(payload.get("doubled") or "", limit=len(party.order))
            matched = party.matches(own_doubled, their_doubled)
        except ValueError as exc:
            raise FederationError("doubled", _("“doubled” is malformed: %(error)s") % {"error": exc}) from None
        applied = apply_matches(partner, run.kind, matched)
        sync_match_flags(run.kind, applied.changed_keys)
        pending.delete()
        run.status, run.matches, run.opened, run.closed = (
            Run.Status.COMPLETED,
            applied.matches,
            applied.opened,
            applied.closed,
        )
        run.finished_at = timezone.now()
        run.save()
    logger.info(
        "federation run %s partner=%s kind=%s role=responder status=%s ours=%s theirs=%s matches=%s",
        run.run_id, partner.instance_id, run.kind, run.status, run.local_count, run.remote_count, run.matches,
    )  # fmt: skip
    return {"run_id": run.run_id, "kind": run.kind, "status": run.status}


def respond_liaisons(partner: Partner, payload: dict) -> dict:
    with transaction.atomic():
        run = _pending_run(partner, payload)
        if run.status != Run.Status.COMPLETED:
            raise FederationError("run_id", _("This run has not completed."), 409)
        sides = payload.get("sides")
        if not isinstance(sides, dict):
            raise FederationError("sides", _("“sides” must map match handles to liaison details."))
        changed = store_sides(partner, run.kind, sides)
        sync_match_flags(run.kind, changed)
        answer = sides_for_handles(partner, run.kind, list(sides))
    return {"run_id": run.run_id, "kind": run.kind, "sides": answer}


# --- replay protection and housekeeping ----------------------------------------------


def remember_nonce(partner: Partner, nonce: str) -> bool:
    """False when the partner already used this nonce (a replay)."""
    Nonce.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(seconds=2 * signing.MAX_SKEW)).delete()
    try:
        with transaction.atomic():
            Nonce.objects.create(partner=partner, nonce=nonce)
    except IntegrityError:
        return False
    return True


def expire_pending() -> int:
    """Runs a partner started and never finished: their state is dropped, the run failed."""
    now = timezone.now()
    stale = list(PendingExchange.objects.filter(expires_at__lt=now).values_list("run_id", flat=True))
    Run.objects.filter(pk__in=stale).update(status=Run.Status.FAILED, finished_at=now, error="expired")
    PendingExchange.objects.filter(run_id__in=stale).delete()
    return len(stale)


# --- the schedule ----------------------------------------------------------------------


def due_partners(now=None):
    now = now or timezone.now()
    return Partner.objects.filter(enabled=True).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def run_scheduled(*, force: bool = False, partner_ids=None) -> list[Run]:
    """Exchange with every enabled partner due (all of them with `force`); a partner that
    fails is retried later with backoff, and never stops the others."""
    expire_pending()
    partners = Partner.objects.filter(enabled=True) if force else due_partners()
    if partner_ids:
        partners = partners.filter(pk__in=partner_ids)
    runs = []
    for partner in partners:
        partner_runs = exchange(partner)
        runs.extend(partner_runs)
        failed = [run for run in partner_runs if run.status == Run.Status.FAILED]
        if failed:
            partner.failures += 1
            wait = BACKOFF[min(partner.failures, len(BACKOFF)) - 1]
            partner.next_attempt_at = timezone.now() + wait
            partner.last_error = failed[0].error[:2000]
        else:
            partner.failures, partner.next_attempt_at, partner.last_error = 0, None, ""
        Partner.objects.filter(pk=partner.pk).update(
            failures=partner.failures, next_attempt_at=partner.next_attempt_at, last_error=partner.last_error
        )
    return runs
