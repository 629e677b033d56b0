"""Why a flag was raised, as a sentence in the reader's language, and what it concerns, as
far as the reader may know it.

Deconfliction keeps secrets (docs/SPEC.md §4): of a case the reader cannot see, a flag tells only
that it exists, its lead agency and the lead's liaison contact on it; never its reference,
title or subjects. The names are looked up for a whole page of flags at once (`FlagBook`),
in a constant number of queries.
"""

import datetime
from collections.abc import Iterable

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agencies.models import Agency, Contact, FunctionalArea, Jurisdiction
from flags.models import Flag, FlagKind


def _lower_first(name: str) -> str:
    """“Criminal investigation” → “criminal investigation”; acronyms (“ATF …”) stay."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _join(items: list[str]) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


class FlagBook:
    """Everything the flags of one page refer to, loaded once for one reader."""

    def __init__(self, flags: Iterable[Flag], user):
        from cases.models import ActionItem, CaseParticipant, CaseSubject
        from cases.selectors import cases_visible_to

        self.user = user
        flags = list(flags)
        agency_ids, function_ids, place_ids, contact_ids, case_ids = set(), set(), set(), set(), set()
        subject_ids, item_ids = set(), set()
        for flag in flags:
            params = flag.params or {}
            agency_ids.update(params.get("agencies", []), params.get("leads", []), params.get("owners", []))
            # A match with a partner registry (federation/detectors.py): the partner's agencies.
            agency_ids.update(side["agency"] for side in params.get("remote", []) if side.get("agency"))
            if params.get("agency"):
                agency_ids.add(params["agency"])
            if params.get("function"):
                function_ids.add(params["function"])
            place_ids.update(params.get("places", []))
            if params.get("contact"):
                contact_ids.add(params["contact"])
            case_ids.update(params.get("cases", []))
            if params.get("case"):
                case_ids.add(params["case"])
            subject_ids.update(pk for pk in (flag.subject_id, flag.other_subject_id) if pk)
            item_ids.update(params.get("items", []))
        # Only the columns the sentences and `concerns` use: a page of flags names hundreds of rows.
        agencies = Agency.objects.filter(pk__in=agency_ids).only(*Agency.name_columns)
        self.agencies = {a.pk: a for a in agencies}
        functions = FunctionalArea.objects.filter(pk__in=function_ids).only(*FunctionalArea.name_columns)
        self.functions = {f.pk: f for f in functions}
        places = Jurisdiction.objects.filter(pk__in=place_ids).only(*Jurisdiction.name_columns)
        self.places = {p.pk: p for p in places}
        # Blocked contacts (ARCO) are never named.
        self.contacts = {c.pk: c for c in Contact.objects.visible().filter(pk__in=contact_ids).only("name")}
        self.cases = {c.pk: c for c in cases_visible_to(user).filter(pk__in=case_ids).only("reference", "title")}
        hidden = case_ids - set(self.cases)
        self.lead_liaisons = {
            p.case_id: p.contact
            for p in CaseParticipant.objects.filter(
                case_id__in=hidden, role=CaseParticipant.Role.LEAD, contact__blocked_at__isnull=True
            )
            .select_related("contact")
            .only("case_id", "contact__name", "contact__title", "contact__email", "contact__phone")
        }
        subjects = CaseSubject.objects.filter(pk__in=subject_ids, case_id__in=list(self.cases))
        self.subjects = {s.pk: s for s in subjects.only("case_id", "kind", "identifier")}
        items = ActionItem.objects.filter(pk__in=item_ids, case_id__in=list(self.cases))
        self.items = {i.pk: i for i in items.only("case_id", "owner_id", "title")}

    # names ---------------------------------------------------------------------------

    def agency_name(self, pk) -> str:
        agency = self.agencies.get(pk)
        if agency is None:
            return _("a removed agency")
        return agency.acronym or agency.display_name

    def function_name(self, pk) -> str:
        function = self.functions.get(pk)
        return _lower_first(function.display_name) if function else _("a removed functional area")

    def place_names(self, pks) -> str:
        names = sorted(self.places[pk].display_name for pk in pks if pk in self.places)
        return _join(names) or _("a common jurisdiction")

    # sentences -----------------------------------------------------------------------

    def reason(self, flag: Flag) -> str:
        params = flag.params or {}
        method = {
            FlagKind.MANDATE_OVERLAP: self._mandate_overlap,
            FlagKind.SUBJECT_MATCH: self._subject_match,
            FlagKind.DUPLICATE_ACTION: self._duplicate_action,
            FlagKind.MISSING_CONTACT: self._missing_contact,
            FlagKind.STALE_CONTACT: self._stale_contact,
        }[flag.kind]
        return method(params)

    def _mandate_overlap(self, params: dict) -> str:
        first, second = params["agencies"]
        values = {
            "agency": self.agency_name(first),
            "other": self.agency_name(second),
            "function": self.function_name(params["function"]),
            "places": self.place_names(params.get("places", [])),
        }
        if params.get("same_level"):
            return (
                _(
                    "%(agency)s and %(other)s both hold a primary mandate for %(function)s over %(places)s; "
                    "agree on who leads."
                )
                % values
            )
        levels = [str(Agency.Level(level).label).lower() for level in params.get("levels", [])]
        values.update(level=levels[0] if levels else "", other_level=levels[1] if len(levels) > 1 else "")
        return (
            _(
                "%(agency)s (%(level)s) and %(other)s (%(other_level)s) both hold a primary mandate for %(function)s "
                "over %(places)s: a concurrent jurisdiction; make sure their work is coordinated."
            )
            % values
        )

    def _subject_kind(self, kind: str) -> str:
        from cases.models import CaseSubject

        try:
            return str(CaseSubject.Kind(kind).label).lower()
        except ValueError:
            return kind

    def _federated_match(self, params: dict) -> str:
        (case_id,) = params["cases"]
        case = self.cases.get(case_id)
        sides = params.get("remote") or []
        agencies = [self.agency_name(side["agency"]) for side in sides if side.get("agency")]
        contacts = [side["contact"]["name"] for side in sides if side.get("contact")]
        values = {
            "kind": self._subject_kind(params["subject_kind"]),
            "case": case.reference if case else "",
            "lead": self.agency_name(params["leads"][0]),
            "partner": params.get("partner", ""),
            "other_lead": _join(agencies) or params.get("partner", ""),
            "contact": _join(contacts),
        }
        if case is None:
            return (
                _(
                    "A %(kind)s of a case led by %(lead)s is also a subject of a case in the partner registry "
                    "%(partner)s, led by %(other_lead)s; the two should talk before acting."
                )
                % values
            )
        if contacts:
            return (
                _(
                    "A %(kind)s in case %(case)s is also a subject of a case in the partner registry %(partner)s, "
                    "led by %(other_lead)s; call their liaison %(contact)s before acting."
                )
                % values
            )
        return (
            _(
                "A %(kind)s in case %(case)s is also a subject of a case in the partner registry %(partner)s, "
                "led by %(other_lead)s; call %(other_lead)s before acting."
            )
            % values
        )

    def _subject_match(self, params: dict) -> str:
        if "partner" in params:
            return self._federated_match(params)
        first, second = params["cases"]
        leads = params["leads"]
        kind = self._subject_kind(params["subject_kind"])
        seen = [pk in self.cases for pk in (first, second)]
        if all(seen):
            return _(
                "A %(kind)s in case %(case)s (led by %(lead)s) is also a subject of case %(other)s "
                "(led by %(other_lead)s); the two teams should talk before acting."
            ) % {
                "kind": kind,
                "case": self.cases[first].reference,
                "lead": self.agency_name(leads[0]),
                "other": self.cases[second].reference,
                "other_lead": self.agency_name(leads[1]),
            }
        if any(seen):
            mine, theirs = (0, 1) if seen[0] else (1, 0)
            case_ids = (first, second)
            values = {
                "kind": kind,
                "case": self.cases[case_ids[mine]].reference,
                "other_lead": self.agency_name(leads[theirs]),
            }
            contact = self.lead_liaisons.get(case_ids[theirs])
            if contact is not None:
                values["contact"] = contact.name
                return (
                    _(
                        "A %(kind)s in case %(case)s is also a subject of another case, led by %(other_lead)s; "
                        "call their liaison %(contact)s before acting."
                    )
                    % values
                )
            return (
                _(
                    "A %(kind)s in case %(case)s is also a subject of another case, led by %(other_lead)s; "
                    "call %(other_lead)s before acting."
                )
                % values
            )
        return _(
            "A %(kind)s of a case led by %(lead)s is also a subject of a case led by %(other_lead)s; "
            "the two should talk before acting."
        ) % {"kind": kind, "lead": self.agency_name(leads[0]), "other_lead": self.agency_name(leads[1])}

    def _duplicate_action(self, params: dict) -> str:
        first, second = params["owners"]
        values = {
            "owner": self.agency_name(first),
            "other": self.agency_name(second),
            "function": self.function_name(params["function"]),
        }
        case = self.cases.get(params["case"])
        if case is None:
            return (
                _(
                    "%(owner)s and %(other)s both own an open action item for %(function)s in the same case; "
                    "agree on who does it."
                )
                % values
            )
        values["case"] = case.reference
        return (
            _(
                "%(owner)s and %(other)s both own an open action item for %(function)s in case %(case)s; "
                "agree on who does it."
            )
            % values
        )

    def _missing_contact(self, params: dict) -> str:
        return _(
            "%(agency)s holds an active mandate for %(function)s but has no active liaison contact for it; "
            "add or designate one."
        ) % {"agency": self.agency_name(params["agency"]), "function": self.function_name(params["function"])}

    def _stale_contact(self, params: dict) -> str:
        contact = self.contacts.get(params["contact"])
        days = params.get("days", 365)
        agency = self.agency_name(params["agency"])
        values = {"contact": contact.name if contact else "", "agency": agency, "days": days}
        # A hidden (blocked) contact is not named: its own sentences, so no language pastes “A contact” into one.
        if not params.get("verified_on"):
            if contact is None:
                return _("A contact of %(agency)s has never been verified; confirm the entry or deactivate it.") % {
                    "agency": agency
                }
            return _("%(contact)s of %(agency)s has never been verified; confirm the entry or deactivate it.") % values
        values["date"] = formats.date_format(datetime.date.fromisoformat(params["verified_on"]), "DATE_FORMAT")
        if contact is None:
            message = ngettext(
                "A contact of %(agency)s was last verified on %(date)s, more than %(days)s day ago; "
                "confirm the entry or deactivate it.",
                "A contact of %(agency)s was last verified on %(date)s, more than %(days)s days ago; "
                "confirm the entry or deactivate it.",
                days,
            )
        else:
            message = ngettext(
                "%(contact)s of %(agency)s was last verified on %(date)s, more than %(days)s day ago; "
                "confirm the entry or deactivate it.",
                "%(contact)s of %(agency)s was last verified on %(date)s, more than %(days)s days ago; "
                "confirm the entry or deactivate it.",
                days,
            )
        return message % values

    # what a flag card links to -------------------------------------------------------

    def links(self, flag: Flag) -> dict:
        """The cases and agencies a flag's card links to: only cases the reader may open (of a
        case they cannot see, no link and no reference: SPEC §4), and the agencies its reason
        names (catalog facts, public), in the order the reason names them."""
        params = flag.params or {}
        case_ids = [*params.get("cases", []), *([params["case"]] if params.get("case") else [])]
        agency_ids = [
            *params.get("agencies", []),
            *params.get("leads", []),
            *params.get("owners", []),
            *([params["agency"]] if params.get("agency") else []),
            *(side["agency"] for side in params.get("remote", []) if side.get("agency")),
        ]
        cases = [self.cases[pk] for pk in dict.fromkeys(case_ids) if pk in self.cases]
        agencies = [self.agencies[pk] for pk in dict.fromkeys(agency_ids) if pk in self.agencies]
        return {"cases": cases, "agencies": agencies}

    # what it concerns ----------------------------------------------------------------

    def _agency_brief(self, pk) -> dict | None:
        agency = self.agencies.get(pk)
        if agency is None:
            return None
        return {"slug": agency.slug, "acronym": agency.acronym, "name": agency.name, "name_es": agency.name_es}

    def _case_side(self, case_id, lead_id, subject_id) -> dict:
        case = self.cases.get(case_id)
        if case is None:
            contact = self.lead_liaisons.get(case_id)
            return {
                "visible": False,
                "lead_agency": self._agency_brief(lead_id),
                "liaison_contact": (
                    {
                        "id": contact.pk,
                        "name": contact.name,
                        "title": contact.title,
                        "email": contact.email,
                        "phone": str(contact.phone) if contact.phone else "",
                    }
                    if contact is not None
                    else None
                ),
            }
        subject = self.subjects.get(subject_id)
        return {
            "visible": True,
            "case": {"id": case.pk, "reference": case.reference, "title": case.title},
            "lead_agency": self._agency_brief(lead_id),
            "subject": (
                {"id": subject.pk, "kind": subject.kind, "identifier": subject.identifier} if subject else None
            ),
        }

    def concerns(self, flag: Flag) -> dict:
        params = flag.params or {}
        if flag.kind == FlagKind.MANDATE_OVERLAP:
            function = self.functions.get(params.get("function"))
            return {
                "function": function.slug if function else None,
                "mandates": [pk for pk in (flag.mandate_id, flag.other_mandate_id) if pk],
                "jurisdictions": sorted(self.places[pk].code for pk in params.get("places", []) if pk in self.places),
            }
        if flag.kind == FlagKind.SUBJECT_MATCH and "partner" in params:
            return {
                "subject_kind": params["subject_kind"],
                "cases": [
                    self._case_side(params["cases"][0], params["leads"][0], flag.subject_id),
                    *(
                        {
                            "visible": False,
                            "partner": params["partner"],
                            "lead_agency": self._agency_brief(side.get("agency")),
                            "liaison_contact": side.get("contact"),
                        }
                        for side in params.get("remote") or [{}]
                    ),
                ],
            }
        if flag.kind == FlagKind.SUBJECT_MATCH:
            cases, leads = params["cases"], params["leads"]
            return {
                "subject_kind": params["subject_kind"],
                "cases": [
                    self._case_side(cases[0], leads[0], flag.subject_id),
                    self._case_side(cases[1], leads[1], flag.other_subject_id),
                ],
            }
        if flag.kind == FlagKind.DUPLICATE_ACTION:
            function = self.functions.get(params.get("function"))
            case = self.cases.get(params["case"])
            return {
                "function": function.slug if function else None,
                "case": {"id": case.pk, "reference": case.reference, "title": case.title} if case else None,
                "action_items": [
                    {"id": item.pk, "title": item.title, "owner": self._agency_brief(item.owner_id)}
                    for item in (self.items.get(pk) for pk in params.get("items", []))
                    if item is not None
                ],
            }
        if flag.kind == FlagKind.MISSING_CONTACT:
            function = self.functions.get(params.get("function"))
            return {"agency": self._agency_brief(params["agency"]), "function": function.slug if function else None}
        contact = self.contacts.get(params.get("contact"))
        return {
            "agency": self._agency_brief(params["agency"]),
            "contact": {"id": contact.pk, "name": contact.name} if contact else None,
            "verified_on": params.get("verified_on"),
        }


def flag_reasons(flags: Iterable[Flag], user) -> dict[int, str]:
    """The reason sentence of each flag for this reader, in the active language."""
    flags = list(flags)
    book = FlagBook(flags, user)
    return {flag.pk: book.reason(flag) for flag in flags}


def flag_cards(flags: Iterable[Flag], user) -> dict[int, dict]:
    """Per flag, its reason sentence and what its card links to (FlagBook.links), for this reader."""
    flags = list(flags)
    book = FlagBook(flags, user)
    return {flag.pk: {"reason": book.reason(flag), **book.links(flag)} for flag in flags}


def flag_reason(flag: Flag, user) -> str:
    """Why the flag was raised, in the active language, as far as the reader may know."""
    return FlagBook([flag], user).reason(flag)
