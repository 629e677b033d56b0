"""What the OpenAPI schema tells a client developer about each operation: a summary and a
description, in the reader's language (the schema is generated in the request's language,
or in ?lang=es). A viewset's ordinary operations (list, read, create, replace, change,
delete) are described from its resource; every other operation has its own entry by its
operationId. The docstrings of the code are for the people who maintain it and never reach
the schema (tests/registry/test_api_docs.py fails on an operation left out here)."""

from django.utils.translation import gettext_lazy as _

# The path segment of each resource: its plural, one of it and the one (each with the article
# its language needs) and what it is, for whoever reads the API for the first time.
RESOURCES = {
    "jurisdictions": (
        _("jurisdictions"),
        _("a jurisdiction"),
        _("the jurisdiction"),
        _("Countries, states, municipalities and ports of entry, each with its parent and the places it borders."),
    ),
    "functions": (
        _("functional areas"),
        _("a functional area"),
        _("the functional area"),
        _("The controlled bilingual vocabulary of what agencies do (firearms tracing, extradition…)."),
    ),
    "agencies": (
        _("agencies"),
        _("an agency"),
        _("the agency"),
        _("The agencies of both countries and the binational bodies, with their names in both languages."),
    ),
    "agency-names": (
        _("other names"),
        _("another name"),
        _("the other name"),
        _("Acronyms, former, alternate and translated names of agencies: what the search also finds."),
    ),
    "identifiers": (
        _("identifiers"),
        _("an identifier"),
        _("the identifier"),
        _(
            "Official codes of agencies and places in other registries (the FBI's ORI, county FIPS codes, "
            "INEGI municipality keys): one scheme and value, unique in the scheme, of one agency or one place."
        ),
    ),
    "mandates": (
        _("mandates"),
        _("a mandate"),
        _("the mandate"),
        _("Who holds which function where, as primary, supporting or concurrent holder, on what legal basis."),
    ),
    "offices": (
        _("offices"),
        _("an office"),
        _("the office"),
        _("Offices of agencies, with their public phone and e-mail."),
    ),
    "contacts": (
        _("contacts"),
        _("a contact"),
        _("the contact"),
        _("Designated points of contact (personal data: signed-in users only)."),
    ),
    "counterpart-links": (
        _("counterpart links"),
        _("a counterpart link"),
        _("the counterpart link"),
        _("Documented pairings of agencies across the border for a function, with their instrument."),
    ),
    "cases": (
        _("cases"),
        _("a case"),
        _("the case"),
        _("Joint cases of agencies: restricted cases are seen only by their participants and admin staff."),
    ),
    "action-items": (
        _("action items"),
        _("an action item"),
        _("the action item"),
        _("Commitments of an owner agency, on a case or bilateral, with a due date and a status workflow."),
    ),
    "flags": (
        _("flags"),
        _("a flag"),
        _("the flag"),
        _("Findings that need a decision: overlaps, duplicates, subject matches, missing or stale contacts."),
    ),
}

STANDARD = {
    "list": (
        _("List %(plural)s"),
        _(
            "The %(plural)s you may see, a page at a time: limit (50 unless you say, at most 1000) and "
            "offset, with the total count and links to the next and previous pages. The query parameters "
            "below filter the list; ordering sorts it; format=csv or format=xlsx gives the same page as "
            "a spreadsheet."
        ),
    ),
    "retrieve": (
        _("Read %(one)s"),
        _(
            "One of the %(plural)s, or 404 when it does not exist or you may not see it. The answer carries "
            "an ETag: send it in If-None-Match and the answer is 304 Not Modified, without a body, while "
            "your copy is current; send it in If-Match when you change it."
        ),
    ),
    "create": (
        _("Create %(one)s"),
        _(
            "Creates %(one)s from the JSON body and answers 201 with it as a read gives it. Each invalid "
            "field is named in a 400 answer with its messages. With an Idempotency-Key header a retry "
            "gets the first answer back instead of creating a second one."
        ),
    ),
    "update": (
        _("Replace %(the)s"),
        _(
            "Replaces every writable field of %(the)s with the JSON body. Send the ETag you read in "
            "If-Match: when someone changed it since, the answer is 412 and nothing changes."
        ),
    ),
    "partial_update": (
        _("Change %(the)s"),
        _(
            "Changes the fields the JSON body gives, and only those. Send the ETag you read in If-Match: "
            "when someone changed it since, the answer is 412 and nothing changes."
        ),
    ),
    "destroy": (
        _("Delete %(the)s"),
        _(
            "Deletes %(the)s; its history stays in the audit trail. Send the ETag you read in If-Match to "
            "delete only what you saw (412 otherwise)."
        ),
    ),
}

HISTORY = _(
    "The changes of the record, newest first and paginated as every list: who changed what, when, "
    "from which value to which. For whoever may read the record (404 otherwise)."
)

OPERATIONS = {
    "agencies_counterparts_list": (
        _("Find an agency's counterparts"),
        _(
            "The agencies across the border to work with for a function (function=<slug>, required), "
            "ranked: documented counterpart links first, then national, border and international holders "
            "of the function. Signed-in users also get their liaison contacts. Paginated as every list."
        ),
    ),
    "cases_close_create": (
        _("Close a case"),
        _("Closes an open or active case (coordinators of a participating agency); it can then be archived."),
    ),
    "cases_archive_create": (
        _("Archive a case"),
        _("Archives a closed case: it leaves the working lists and stays readable. Cases are never deleted."),
    ),
    "cases_history_list": (_("A case's changes"), HISTORY),
    "action_items_history_list": (_("An action item's changes"), HISTORY),
    "cases_participants_list": (
        _("List a case's participants"),
        _("The agencies taking part in the case, each with its role (lead, support, observer) and contact."),
    ),
    "cases_participants_create": (
        _("Add a participant to a case"),
        _(
            "Adds an agency to the case in a role, optionally with one of its contacts (coordinators of a "
            "participating agency). The agency's users may then see the case."
        ),
    ),
    "cases_participants_destroy": (
        _("Remove a participant from a case"),
        _(
            "Removes the agency from the case: never the lead, nor an agency that still owns open action "
            "items of the case. Its users no longer see a restricted case."
        ),
    ),
    "cases_subjects_list": (
        _("List a case's subjects"),
        _(
            "The firearms, vehicles, people, phones and other subjects recorded in the case, paginated; "
            "q searches their identifiers, kind narrows them."
        ),
    ),
    "cases_subjects_create": (
        _("Add a subject to a case"),
        _(
            "Records a subject in the case (liaison officers and coordinators of a participating agency). "
            "Its identifier is normalised, so that the same firearm written two ways matches across cases."
        ),
    ),
    "cases_subjects_retrieve": (
        _("Read a case's subject"),
        _("One subject of the case, with an ETag for If-None-Match (304) and If-Match."),
    ),
    "cases_subjects_partial_update": (
        _("Change a case's subject"),
        _("Changes the subject's details or its trace status. Send the ETag you read in If-Match (412 if stale)."),
    ),
    "cases_subjects_destroy": (
        _("Remove a subject from a case"),
        _("Removes the subject from the case. Send the ETag you read in If-Match (412 if stale)."),
    ),
    "action_items_updates_list": (
        _("List an action item's updates"),
        _("The notes and status changes written on the action item, oldest first, paginated."),
    ),
    "action_items_updates_create": (
        _("Write an update on an action item"),
        _("Adds a note to the action item (liaison officers and coordinators of the owner agency)."),
    ),
    "flags_resolve_create": (
        _("Act on a flag"),
        _(
            "Acknowledges, resolves or dismisses the flag, with a note (required to dismiss). For "
            "coordinators of an agency the flag is addressed to, and admin staff (403 otherwise)."
        ),
    ),
    "metrics_retrieve": (
        _("Read the metrics of joint work"),
        _(
            "Counts of action items by status, owner, country and theme, overdue and on-time rates, and "
            "cases opened and closed per month, over what you may see. Anonymous callers get the public "
            "cases and the bilateral commitments. Never a title or a name."
        ),
    ),
    "calendar_rotate_retrieve": (
        _("Read your calendar address"),
        _("The secret address of your deadline calendar (iCalendar), to subscribe to in a calendar app."),
    ),
    "calendar_rotate_create": (
        _("Change your calendar address"),
        _("Gives your deadline calendar a new secret address; the old one stops working at once."),
    ),
    "auth_token_create": (
        _("Sign in for a token"),
        _(
            "Exchanges a username, password and (when the account has one) a one-time code for a token, "
            "with its expiry. Send it in every request as Authorization: Token <token>."
        ),
    ),
    "auth_token_destroy": (
        _("Sign out (revoke the token)"),
        _("Revokes the token the request is made with: it no longer works."),
    ),
    "audit_export_retrieve": (
        _("Export the audit trail"),
        _(
            "Every recorded change, read of a restricted case and security event in a period, for admin "
            "staff. The export is itself recorded as a security event."
        ),
    ),
    "history_list": (
        _("Search the audit trail"),
        _(
            "The changes of every catalog record, newest first (admin staff only): filter by model, "
            "record, user and period."
        ),
    ),
    "open_data_popolo.json_retrieve": (
        _("Download the catalog as Popolo"),
        _(
            "The public catalog (agencies with their other names and identifiers, jurisdictions) as Popolo "
            "JSON. Never contacts, cases or anything personal."
        ),
    ),
}


def resource_of(path: str) -> str:
    parts = [part for part in path.split("/") if part]
    return parts[2] if len(parts) > 2 and parts[:2] == ["api", "v1"] else ""


def summary_and_description(operation_id: str, path: str, action: str | None) -> tuple[str, str] | None:
    """The summary and description of the operation, in the active language; None when it has
    none here (a test says so)."""
    if operation_id in OPERATIONS:
        summary, description = OPERATIONS[operation_id]
        return str(summary), str(description)
    resource = RESOURCES.get(resource_of(path))
    if resource is None or action not in STANDARD:
        return None
    plural, one, the, what = resource
    names = {"plural": plural, "one": one, "the": the}
    summary, description = STANDARD[action]
    return str(summary) % names, f"{what} {str(description) % names}"
