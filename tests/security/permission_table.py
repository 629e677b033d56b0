"""What each role may do on each API route (SPEC §1). A route under /api/v1/ that is not
here fails tests/security/test_permission_matrix.py: whoever adds a route decides, here,
who may call it.

Each entry: the URL kwargs (from the test world), per method the roles allowed to use it,
and for writes whose rule is checked on the object a plausible body (an empty body would be
refused as invalid before the rule is reached).

"Allowed" means the role is not refused (no 401/403/404/405); what an allowed role may
then do to a given object (its agency's, or another's) is checked by the object rules in
the services and by tests/security/test_object_access.py. `NOBODY` marks a method the
route answers but refuses to everyone (cases and action items are closed, not deleted).
Where who may write depends on the object (a case-less commitment is its owner's),
ON_OTHER_OBJECTS gives the same routes on other objects of the world.
"""

ANYONE = frozenset({"anonymous", "liaison-officer", "coordinator", "admin-staff"})
SIGNED_IN = frozenset({"liaison-officer", "coordinator", "admin-staff"})
WORKERS = frozenset({"liaison-officer", "coordinator"})  # officers of a participating agency
COORDINATOR = frozenset({"coordinator"})
COORDINATION = frozenset({"coordinator", "admin-staff"})
ADMIN = frozenset({"admin-staff"})
NOBODY = frozenset()


def catalog(kwargs):
    """Open-data catalog: anyone reads, admin staff write."""
    return (
        {"kwargs": lambda w: {}, "get": ANYONE, "post": ADMIN},
        {"kwargs": kwargs, "get": ANYONE, "put": ADMIN, "patch": ADMIN, "delete": ADMIN},
    )


PERMISSIONS = {
    # DefaultRouter's index of links: the project's default (DenyAll) applies.
    "api-root": {"kwargs": lambda w: {}, "get": NOBODY},
    "api-schema": {"kwargs": lambda w: {}, "get": ANYONE},
    "api-docs": {"kwargs": lambda w: {}, "get": ANYONE},
    "api-token": {"kwargs": lambda w: {}, "post": ANYONE, "delete": SIGNED_IN},
    "api-audit-export": {"kwargs": lambda w: {}, "get": ADMIN},
    "history-list": {"kwargs": lambda w: {}, "get": ADMIN},
    "open-data-popolo": {"kwargs": lambda w: {}, "get": ANYONE},
    "agency-counterparts": {"kwargs": lambda w: {"slug": w.agency.slug}, "get": ANYONE},
    "contact-list": {"kwargs": lambda w: {}, "get": SIGNED_IN, "post": ADMIN},
    "contact-detail": {
        "kwargs": lambda w: {"pk": w.contact.pk},
        "get": SIGNED_IN,
        "put": ADMIN,
        "patch": ADMIN,
        "delete": ADMIN,
    },
    "cases-metrics": {"kwargs": lambda w: {}, "get": ANYONE},
    "cases-calendar-rotate": {"kwargs": lambda w: {}, "get": SIGNED_IN, "post": SIGNED_IN},
    # The secret token in the URL is the credential (calendar apps cannot sign in).
    "cases-calendar-feed": {"kwargs": lambda w: {"token": w.users["liaison-officer"].calendar_token}, "get": ANYONE},
    "case-list": {
        "kwargs": lambda w: {},
        "get": SIGNED_IN,
        "post": COORDINATOR,
        "body": {"post": lambda w: {"title": "Matrix case", "summary": "s", "sensitivity": "public"}},
    },
    "case-detail": {
        "kwargs": lambda w: {"pk": w.case.pk},
        "get": SIGNED_IN,
        "put": COORDINATOR,
        "patch": COORDINATOR,
        "delete": NOBODY,
        "body": {
            "put": lambda w: {"title": "Renamed", "summary": "s", "sensitivity": "restricted"},
            "patch": lambda w: {"title": "Renamed"},
        },
    },
    "case-close": {"kwargs": lambda w: {"pk": w.case.pk}, "post": COORDINATOR},
    "case-archive": {"kwargs": lambda w: {"pk": w.case.pk}, "post": COORDINATOR},
    "case-participants": {
        "kwargs": lambda w: {"pk": w.case.pk},
        "get": SIGNED_IN,
        "post": COORDINATOR,
        "body": {"post": lambda w: {"agency": w.outsider.slug, "role": "observer"}},
    },
    "case-remove-participant": {"kwargs": lambda w: {"pk": w.case.pk, "agency_slug": "us-dea"}, "delete": COORDINATOR},
    "case-subjects": {
        "kwargs": lambda w: {"pk": w.case.pk},
        "get": SIGNED_IN,
        "post": WORKERS,
        "body": {"post": lambda w: {"kind": "phone", "identifier": "+12025550199"}},
    },
    "case-subject": {
        "kwargs": lambda w: {"pk": w.case.pk, "subject_id": w.subject.pk},
        "get": SIGNED_IN,
        "patch": WORKERS,
        "delete": COORDINATOR,
        "body": {"patch": lambda w: {"identifier": "SN-MATRIX-2"}},
    },
    "actionitem-list": {
        "kwargs": lambda w: {},
        "get": SIGNED_IN,
        "post": COORDINATOR,
        "body": {"post": lambda w: {"title": "New task", "owner": w.agency.slug, "case": w.case.pk}},
    },
    "actionitem-detail": {
        "kwargs": lambda w: {"pk": w.item.pk},
        "get": SIGNED_IN,
        # Coordinators edit the item; liaison officers of the owner move its status.
        "put": COORDINATOR,
        "patch": WORKERS,
        "delete": NOBODY,
        "body": {
            "put": lambda w: {"title": "Renamed", "owner": w.agency.slug, "case": w.case.pk},
            "patch": lambda w: {"status": "in-progress"},
        },
    },
    "actionitem-updates": {
        "kwargs": lambda w: {"pk": w.item.pk},
        "get": SIGNED_IN,
        "post": WORKERS,
        "body": {"post": lambda w: {"text": "A note"}},
    },
    # Whoever reads the record reads its changes (admin staff and participants' officers).
    "case-history": {"kwargs": lambda w: {"pk": w.case.pk}, "get": SIGNED_IN},
    "actionitem-history": {"kwargs": lambda w: {"pk": w.item.pk}, "get": SIGNED_IN},
    "flag-list": {"kwargs": lambda w: {}, "get": SIGNED_IN},
    "flag-detail": {"kwargs": lambda w: {"pk": w.flag.pk}, "get": SIGNED_IN},
    "flag-resolve": {
        "kwargs": lambda w: {"pk": w.flag.pk},
        "post": COORDINATION,
        "body": {"post": lambda w: {"status": "acknowledged", "note": "Seen."}},
    },
}


def commitment(item, *, edit, work):
    """The action-item routes on a case-less commitment: `edit` may change its fields, `work`
    move its status and write updates; every signed-in user reads it."""
    return {
        "actionitem-detail": {
            "kwargs": lambda w: {"pk": item(w).pk},
            "get": SIGNED_IN,
            "put": edit,
            "patch": work,
            "delete": NOBODY,
            "body": {
                "put": lambda w: {"title": "Renamed", "owner": item(w).owner.slug},
                "patch": lambda w: {"status": "in-progress"},
            },
        },
        "actionitem-updates": {
            "kwargs": lambda w: {"pk": item(w).pk},
            "get": SIGNED_IN,
            "post": work,
            "body": {"post": lambda w: {"text": "A note"}},
        },
        "actionitem-history": {"kwargs": lambda w: {"pk": item(w).pk}, "get": SIGNED_IN},
    }


# The same routes on other objects than PERMISSIONS's, where the rule depends on the object.
ON_OTHER_OBJECTS = {
    # Ours: our coordinators edit it, our officers work it, admin staff may too.
    "our case-less commitment": commitment(lambda w: w.commitment, edit=COORDINATION, work=SIGNED_IN),
    # The outsider's, which we only support: readable, but ours to change only as admin staff.
    "their case-less commitment": commitment(lambda w: w.foreign_commitment, edit=ADMIN, work=ADMIN),
}

for _name, _kwargs in {
    "jurisdiction": lambda w: {"code": w.jurisdiction.code},
    "functionalarea": lambda w: {"slug": w.function.slug},
    "agency": lambda w: {"slug": w.agency.slug},
    "agencyname": lambda w: {"pk": w.agency_name.pk},
    "identifier": lambda w: {"pk": w.identifier.pk},
    "mandate": lambda w: {"pk": w.mandate.pk},
    "office": lambda w: {"pk": w.office.pk},
    "counterpartlink": lambda w: {"pk": w.link.pk},
}.items():
    PERMISSIONS[f"{_name}-list"], PERMISSIONS[f"{_name}-detail"] = catalog(_kwargs)


# What each signed-in role may do in the Django admin, per registered model (SPEC §1: admin
# staff maintain the catalog, accounts and roles, read everything, resolve any flag; nobody
# else sees the admin, even with the staff flag). Checked by test_permission_matrix.py on
# every model of admin.site: a new admin page without an entry fails. Superusers are not in
# the table (Django gives them everything the admin's own rules leave).
OFFICERS_NONE = {"view": NOBODY, "add": NOBODY, "change": NOBODY, "delete": NOBODY}
MAINTAIN = {"view": ADMIN, "add": ADMIN, "change": ADMIN, "delete": ADMIN}
READ = {"view": ADMIN, "add": NOBODY, "change": NOBODY, "delete": NOBODY}

ADMIN_PERMISSIONS = {
    **{
        f"agencies.{name}": MAINTAIN
        # source: the cited URLs and their kind (h-sources' admin), maintained like the rest;
        # identifier: official codes (ORI, FIPS, INEGI) of agencies and places (issue 14).
        for name in (
            "jurisdiction",
            "functionalarea",
            "agency",
            "agencyname",
            "identifier",
            "mandate",
            "office",
            "contact",
            "source",
        )
    },
    "agencies.counterpartlink": MAINTAIN,
    "registry.user": MAINTAIN,
    # The register of personal-data requests is kept for audit: answered, never deleted.
    "privacy.personaldatarequest": {**MAINTAIN, "delete": NOBODY},
    # Cases are written under the API's rules (lead, participants); admin staff read them.
    "cases.case": READ,
    "cases.actionitem": READ,
    "cases.casesubject": READ,
    "cases.casereadlog": READ,
    "cases.reminderlog": READ,
    # Read; acknowledging and resolving are admin actions (flag-actions below), not edits.
    "flags.flag": READ,
    "registry.securityevent": READ,
    # Deleting an attempt releases a lock (docs/security.md).
    "axes.accessattempt": {**READ, "delete": ADMIN},
    "axes.accesslog": READ,
    "axes.accessfailurelog": READ,
    "interchange.catalogimport": {**MAINTAIN, "change": NOBODY},
    "interchange.webhookendpoint": MAINTAIN,
    # The delivery log: read, and deleted by admin staff (no edits, no hand-made deliveries).
    "interchange.webhookdelivery": {"view": ADMIN, "add": NOBODY, "change": NOBODY, "delete": ADMIN},
    # The federation app (merged from its branch): partners kept (disabled, not deleted), the
    # runs, matches and alerts read.
    "federation.partner": {**MAINTAIN, "delete": NOBODY},
    "federation.run": READ,
    "federation.match": READ,
    "federation.alert": READ,
    # Superusers only: group permissions, tokens, second-factor devices, the task queue.
    "auth.group": OFFICERS_NONE,
    "authtoken.tokenproxy": OFFICERS_NONE,
    "otp_totp.totpdevice": OFFICERS_NONE,
    "django_tasks_database.dbtaskresult": OFFICERS_NONE,
}

# Admin actions on the changelist, beyond the model permissions: who, of those who see the
# changelist, is offered each (delete_selected follows the delete permission).
ADMIN_ACTIONS = {
    "privacy.personaldatarequest": {"export_person": ADMIN, "block_person": ADMIN, "erase_person": ADMIN},
    "flags.flag": {"acknowledge": ADMIN, "resolve": ADMIN},
    "axes.accessattempt": {"cleanup_expired_attempts": ADMIN},
    "federation.partner": {"run_now": ADMIN},
}
