"""Cases, action items and the flag queue: role rules, forms that keep input, stale edits."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency
from cases import services
from cases.models import ActionItem, Case
from tests.factories import AgencyFactory
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/cases/", "/cases/new/", "/actions/", "/flags/"])
def test_signed_in_pages_send_anonymous_users_to_sign_in(catalog, anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_sign_in_and_sign_out(catalog, anonymous, liaison_us):
    liaison_us.set_password("correct-horse-battery-staple")
    liaison_us.save()
    response = anonymous.post(
        "/accounts/login/", {"username": "liaison.us", "password": "correct-horse-battery-staple", "next": "/cases/"}
    )
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert anonymous.get("/cases/").status_code == 200
    assert anonymous.get("/accounts/logout/").status_code == 405  # sign-out is a POST
    assert anonymous.post("/accounts/logout/").status_code == 302
    assert anonymous.get("/cases/").status_code == 302


def test_wrong_password_is_refused_in_spanish(catalog, spanish):
    response = spanish.post("/accounts/login/", {"username": "nobody", "password": "wrong-password"})
    assert response.status_code == 200
    assert "Por favor, introduzca un nombre de usuario y clave correctos" in response.content.decode()


def test_flag_queue_is_for_coordinators_and_staff(catalog, liaison_us, coordinator_mx, staff):
    assert signed_in(liaison_us).get("/flags/").status_code == 403
    assert signed_in(coordinator_mx).get("/flags/").status_code == 200
    assert signed_in(staff).get("/flags/").status_code == 200


def test_coordinator_opens_a_case(catalog, coordinator_us):
    client = signed_in(coordinator_us)
    assert client.get("/cases/new/").status_code == 200
    response = client.post(
        "/cases/new/",
        {
            "title": "Trafficking through Nogales",
            "summary": "Pistols.",
            "sensitivity": "restricted",
            "supporting": ["mx-fgr"],
        },
    )
    case = Case.objects.get(title="Trafficking through Nogales")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.lead_agency == catalog.atf
    assert set(case.participants.values_list("agency__slug", "role")) == {("us-atf", "lead"), ("mx-fgr", "support")}
    html = client.get(response["Location"]).content.decode()
    assert case.reference in html and "Trafficking through Nogales" in html


def test_case_form_errors_are_in_the_users_language_and_keep_the_input(catalog, coordinator_mx):
    client = signed_in(coordinator_mx)
    client.cookies["django_language"] = "es"
    response = client.post("/cases/new/", {"title": "", "summary": "Lo que escribí", "sensitivity": "restricted"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Este campo es requerido." in html
    assert "Lo que escribí" in html
    assert not Case.objects.exists()


def test_liaison_officers_cannot_open_cases(catalog, liaison_us):
    assert signed_in(liaison_us).get("/cases/new/").status_code == 403


def test_restricted_case_is_404_for_other_agencies(case, liaison_mx, coordinator_mx, staff):
    assert signed_in(liaison_mx).get(f"/cases/{case.pk}/").status_code == 404
    assert case.reference not in signed_in(liaison_mx).get("/cases/").content.decode()
    assert signed_in(coordinator_mx).get(f"/cases/{case.pk}/").status_code == 200
    assert signed_in(staff).get(f"/cases/{case.pk}/").status_code == 200


def test_case_page_shows_participants_subjects_items_and_timeline(case, item, coordinator_mx):
    services.action_item_transition(item=item, user=coordinator_mx, status="in-progress")
    services.subject_add(case=case, user=coordinator_mx, kind="firearm", identifier="AB-1234", make="Colt")
    html = signed_in(coordinator_mx).get(f"/cases/{case.pk}/").content.decode()
    for text in ("Straw purchases in El Paso", "mx-fgr", "us-atf", "AB-1234", "Trace the rifles", "In progress"):
        assert text in html


def test_coordinator_adds_an_action_item_on_the_case_page(case, catalog, coordinator_us, today):
    due = today + datetime.timedelta(days=60)
    response = signed_in(coordinator_us).post(
        f"/cases/{case.pk}/",
        {
            "action": "add-item",
            "item-title": "Share the eTrace results",
            "item-owner": "us-atf",
            "item-function": "firearms-tracing",
            "item-priority": "high",
            "item-due_date": due.isoformat(),
        },
    )
    assert response.status_code == 302
    item = ActionItem.objects.get(title="Share the eTrace results")
    assert (item.case, item.owner, item.due_date) == (case, catalog.atf, due)


def test_action_item_owner_must_take_part_in_the_case(case, coordinator_us):
    response = signed_in(coordinator_us).post(
        f"/cases/{case.pk}/",
        {"action": "add-item", "item-title": "X", "item-owner": "us-hsi", "item-priority": "normal"},
    )
    assert response.status_code == 400
    assert 'id="id_item-owner_errors"' in response.content.decode()


def test_liaison_of_another_agency_cannot_post_to_a_case(case, liaison_us):
    response = signed_in(liaison_us).post(f"/cases/{case.pk}/", {"action": "add-item", "item-title": "X"})
    assert response.status_code == 404


def test_my_agency_action_items_overdue_first(case, catalog, coordinator_us, coordinator_mx, today):
    late = services.action_item_create(
        user=coordinator_us, case=case, owner=catalog.fgr, title="Late one", due_date=datetime.date(2020, 1, 1)
    )
    services.action_item_create(
        user=coordinator_us,
        case=case,
        owner=catalog.fgr,
        title="Later one",
        due_date=today + datetime.timedelta(days=365),
    )
    services.action_item_create(user=coordinator_us, case=case, owner=catalog.atf, title="Not mine")
    html = signed_in(coordinator_mx).get("/actions/").content.decode()
    assert html.index("Late one") < html.index("Later one")
    assert "Not mine" not in html
    assert f'href="/actions/{late.pk}/"' in html
    assert "/api/v1/calendar/" in html and coordinator_mx.calendar_token in html


def test_action_list_runs_a_constant_number_of_queries(case, catalog, coordinator_us, coordinator_mx):
    client = signed_in(coordinator_mx)

    def count():
        with CaptureQueriesContext(connection) as context:
            assert client.get("/actions/?scope=all").status_code == 200
        return len(context.captured_queries)

    services.action_item_create(user=coordinator_us, case=case, owner=catalog.fgr, title="First")
    count()  # warm the per-process caches (content types, session)
    few = count()
    for n in range(12):
        services.action_item_create(user=coordinator_us, case=case, owner=catalog.fgr, title=f"More {n}")
    assert count() == few


def test_case_list_runs_a_constant_number_of_queries(catalog, coordinator_us):
    client = signed_in(coordinator_us)

    def count():
        with CaptureQueriesContext(connection) as context:
            assert client.get("/cases/").status_code == 200
        return len(context.captured_queries)

    services.case_open(user=coordinator_us, title="One", summary="", sensitivity="restricted")
    count()  # warm the per-process caches (content types, session)
    few = count()
    for n in range(8):
        services.case_open(user=coordinator_us, title=f"Case {n}", summary="", sensitivity="public")
    assert count() == few


def test_quick_status_change_from_the_list(item, coordinator_mx):
    response = signed_in(coordinator_mx).post(
        f"/actions/{item.pk}/", {"action": "transition", "move-status": "in-progress", "next": "/actions/"}
    )
    assert response.status_code == 302 and response["Location"] == "/actions/"
    item.refresh_from_db()
    assert item.status == "in-progress"


def test_blocking_without_a_reason_names_the_reason_field(item, coordinator_mx):
    response = signed_in(coordinator_mx).post(
        f"/actions/{item.pk}/", {"action": "transition", "move-status": "blocked"}
    )
    assert response.status_code == 400
    assert 'id="id_move-reason_errors"' in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open"


def test_updates_join_the_timeline(item, coordinator_mx):
    client = signed_in(coordinator_mx)
    assert (
        client.post(f"/actions/{item.pk}/", {"action": "update", "update-text": "Sent to the lab"}).status_code == 302
    )
    assert "Sent to the lab" in client.get(f"/actions/{item.pk}/").content.decode()


def test_a_commitment_is_changed_by_its_owner_not_its_supporters(catalog, coordinator_us, coordinator_mx, staff):
    commitment = services.action_item_create(
        user=coordinator_mx, owner=catalog.fgr, title="Share ballistic data", supporting_agencies=[catalog.atf]
    )
    url = f"/actions/{commitment.pk}/"
    edit = {"action": "edit", "edit-version": commitment.updated_at.isoformat(), "edit-title": "Ours now"}
    edit.update({"edit-priority": "normal", "edit-function": ""})
    supporter = signed_in(coordinator_us)
    page = supporter.get(url)
    assert page.status_code == 200 and "Share ballistic data" in page.content.decode()
    assert 'name="action" value="edit"' not in page.content.decode()
    assert 'name="action" value="update"' not in page.content.decode()
    for post in (
        edit,
        {"action": "update", "update-text": "Done by us"},
        {"action": "transition", "move-status": "in-progress"},
    ):
        assert supporter.post(url, post).status_code == 403, post["action"]
    commitment.refresh_from_db()
    assert (commitment.title, commitment.status, commitment.updates.count()) == ("Share ballistic data", "open", 0)
    # Its owner's coordinators, and admin staff, may.
    assert 'name="action" value="edit"' in signed_in(coordinator_mx).get(url).content.decode()
    assert signed_in(staff).post(url, edit).status_code == 302
    assert signed_in(staff).post(url, {"action": "update", "update-text": "Checked"}).status_code == 302
    commitment.refresh_from_db()
    assert (commitment.title, commitment.updates.count()) == ("Ours now", 1)


def test_stale_edit_keeps_the_input_and_shows_what_changed(item, coordinator_us, coordinator_mx):
    client = signed_in(coordinator_us)
    page = client.get(f"/actions/{item.pk}/").content.decode()
    version = item.updated_at.isoformat()
    assert f'value="{version}"' in page
    # Someone else saves first.
    services.action_item_update(item=ActionItem.objects.get(pk=item.pk), user=coordinator_mx, title="Trace all rifles")
    mine = {
        "action": "edit",
        "edit-version": version,
        "edit-title": "Trace the rifles and pistols",
        "edit-description": "My long description",
        "edit-priority": "high",
        "edit-function": "firearms-tracing",
    }
    response = client.post(f"/actions/{item.pk}/", mine)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Someone changed this action item after you opened it" in html
    assert 'value="Trace the rifles and pistols"' in html and "My long description" in html
    assert "Trace all rifles" in html  # the current value, in the table of changes
    item.refresh_from_db()
    assert item.title == "Trace all rifles"
    # Saving again from the refreshed form goes through.
    fresh = item.updated_at.isoformat()
    assert f'value="{fresh}"' in html
    assert client.post(f"/actions/{item.pk}/", {**mine, "edit-version": fresh}).status_code == 302
    item.refresh_from_db()
    assert item.title == "Trace the rifles and pistols"


def test_stale_case_edit_is_refused(case, coordinator_us, coordinator_mx):
    version = case.updated_at.isoformat()
    services.case_update(case=Case.objects.get(pk=case.pk), user=coordinator_mx, title="Renamed by FGR")
    response = signed_in(coordinator_us).post(
        f"/cases/{case.pk}/",
        {
            "action": "edit",
            "case-version": version,
            "case-title": "My title",
            "case-sensitivity": "restricted",
            "case-status": "open",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="My title"' in html and "Renamed by FGR" in html
    case.refresh_from_db()
    assert case.title == "Renamed by FGR"


def test_coordinator_resolves_a_flag_with_a_note(catalog, coordinator_mx):
    from flags.models import Flag
    from flags.services import sync_all_flags

    sync_all_flags()
    flag = Flag.objects.get(kind="mandate-overlap", agencies=catalog.fgr)
    client = signed_in(coordinator_mx)
    html = client.get("/flags/").content.decode()
    assert f'id="flag-{flag.pk}"' in html
    refused = client.post("/flags/", {"flag": flag.pk, f"flag-{flag.pk}-status": "dismissed"})
    assert refused.status_code == 400
    assert f'id="id_flag-{flag.pk}-note_errors"' in refused.content.decode()
    response = client.post(
        "/flags/", {"flag": flag.pk, f"flag-{flag.pk}-status": "resolved", f"flag-{flag.pk}-note": "Agreed: FGR leads."}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.status_note) == ("resolved", "Agreed: FGR leads.")


def test_flags_of_other_agencies_are_404(catalog, coordinator_us):
    from flags.models import Flag
    from flags.services import sync_all_flags

    sync_all_flags()
    flag = Flag.objects.get(kind="mandate-overlap", agencies=catalog.fgr)
    client = signed_in(coordinator_us)
    assert f'id="flag-{flag.pk}"' not in client.get("/flags/").content.decode()
    assert client.post("/flags/", {"flag": flag.pk, f"flag-{flag.pk}-status": "resolved"}).status_code == 404


def test_metrics_are_public_aggregates(item, catalog, coordinator_us, anonymous, coordinator_mx):
    services.action_item_create(user=coordinator_us, owner=catalog.atf, title="Bilateral commitment")
    public = anonymous.get("/metrics/").content.decode()
    assert "<svg" in public and "<desc" in public
    assert "Trace the rifles" not in public and "Bilateral commitment" not in public
    assert '<p class="kpi">1</p>' in public  # the restricted case's item is not counted
    mine = signed_in(coordinator_mx).get("/metrics/").content.decode()
    assert '<p class="kpi">2</p>' in mine and "Trace the rifles" not in mine


def test_signing_in_applies_the_accounts_language_unless_the_browser_chose_one(catalog, coordinator_mx, anonymous):
    coordinator_mx.language = "es"
    coordinator_mx.set_password("correct-horse-battery-staple")
    coordinator_mx.save()
    credentials = {"username": "coordinator.mx", "password": "correct-horse-battery-staple"}
    response = anonymous.post("/accounts/login/", credentials)
    assert response.status_code == 302 and response.cookies["django_language"].value == "es"
    assert '<html lang="es">' in anonymous.get("/cases/").content.decode()
    chosen = signed_in(coordinator_mx)
    chosen.logout()
    chosen.cookies["django_language"] = "en"
    assert "django_language" not in chosen.post("/accounts/login/", credentials).cookies


def test_flag_queue_runs_a_constant_number_of_queries(catalog, coordinator_mx):
    from flags.models import Flag
    from flags.services import sync_all_flags
    from tests.factories import FunctionalAreaFactory, MandateFactory

    client = signed_in(coordinator_mx)

    def count():
        with CaptureQueriesContext(connection) as context:
            assert client.get("/flags/").status_code == 200
        return len(context.captured_queries)

    sync_all_flags()
    count()  # warm the per-process caches
    few = count()
    for n in range(6):  # each function without a liaison contact raises a missing-contact flag
        MandateFactory(
            agency=catalog.fgr, function=FunctionalAreaFactory(slug=f"extra-{n}"), jurisdictions=[catalog.mx]
        )
    sync_all_flags()
    assert Flag.objects.filter(kind="missing-contact", agencies=catalog.fgr).count() >= 6
    assert count() == few


# ---------------------------------------------------------------- adding a participant: a typed agency


def add_participant(client, case, agency: str, role: str = "support"):
    return client.post(
        f"/cases/{case.pk}/",
        {"action": "add-participant", "participant-agency": agency, "participant-role": role},
    )


@pytest.mark.parametrize("typed", ["us-hsi", "HSI", "hsi", " us-hsi "])
def test_a_participant_is_added_by_slug_or_acronym(case, catalog, coordinator_us, typed):
    response = add_participant(signed_in(coordinator_us), case, typed)
    assert response.status_code == 302 and response["Location"].endswith("#participants")
    assert case.participants.filter(agency=catalog.hsi, role="support").exists()


def test_an_unknown_agency_is_refused_on_its_field_and_the_input_kept(case, coordinator_us):
    response = add_participant(signed_in(coordinator_us), case, "Guardia <Nacional>", role="observer")
    assert response.status_code == 400
    html = response.content.decode()
    errors = html[html.index('id="id_participant-agency_errors"') :]
    assert errors.index("Agency: no active agency has the slug or acronym") < errors.index("</ul>")
    assert 'value="Guardia &lt;Nacional&gt;"' in html  # what was typed stays, escaped
    assert '<option value="observer" selected>' in html
    assert "<details open>" in html  # the form stays open
    assert case.participants.count() == 2


def test_an_ambiguous_acronym_asks_for_the_slug(case, catalog, coordinator_us):
    AgencyFactory(slug="mx-pf-1", acronym="PF", country=catalog.mx, jurisdiction=catalog.mx)
    AgencyFactory(slug="mx-pf-2", acronym="PF", country=catalog.mx, jurisdiction=catalog.mx)
    response = add_participant(signed_in(coordinator_us), case, "pf")
    assert response.status_code == 400
    html = response.content.decode()
    assert "several agencies use the acronym" in html and "mx-pf-1, mx-pf-2" in html
    assert add_participant(signed_in(coordinator_us), case, "mx-pf-2").status_code == 302


def test_an_inactive_agency_cannot_join(case, catalog, coordinator_us):
    Agency.objects.filter(pk=catalog.sedena.pk).update(active=False)
    assert add_participant(signed_in(coordinator_us), case, "mx-sedena").status_code == 400
    assert not case.participants.filter(agency=catalog.sedena).exists()


def test_the_error_is_in_spanish_for_a_spanish_user(case, coordinator_us):
    client = signed_in(coordinator_us)
    client.cookies["django_language"] = "es"
    response = add_participant(client, case, "")
    assert response.status_code == 400
    assert "Este campo es requerido." in response.content.decode()


def test_suggestions_are_the_lead_agencys_partners_not_yet_in_the_case(case, catalog, coordinator_us):
    other = services.case_open(
        user=coordinator_us,
        title="Another case",
        summary="",
        sensitivity="restricted",
        participants=[(catalog.hsi, "support"), (catalog.fgr, "support")],
    )
    assert other.pk
    html = signed_in(coordinator_us).get(f"/cases/{case.pk}/").content.decode()
    datalist = html[html.index('<datalist id="id_participant-agency_suggestions">') :]
    datalist = datalist[: datalist.index("</datalist>")]
    assert '<option value="us-hsi">HSI – Homeland Security Investigations</option>' in datalist
    assert "mx-fgr" not in datalist and "us-atf" not in datalist  # already in the case
    assert 'list="id_participant-agency_suggestions"' in html and 'data-agency-search="/api/v1/agencies/"' in html


def test_case_page_size_and_queries_do_not_grow_with_the_catalog(case, item, catalog, coordinator_us):
    """Neither the number of agencies nor of cases changes the page's queries; no list of
    every agency is rendered (a <select> of 20,000 options made it seconds slow)."""
    client = signed_in(coordinator_us)

    def measure():
        with CaptureQueriesContext(connection) as context:
            response = client.get(f"/cases/{case.pk}/")
        assert response.status_code == 200
        return len(context.captured_queries), len(response.content)

    measure()  # warm the per-process caches (content types, session)
    queries, size = measure()
    _add_many_agencies(catalog, acronyms=True)
    for n in range(5):
        services.case_open(
            user=coordinator_us,
            title=f"Case {n}",
            summary="",
            sensitivity="restricted",
            participants=[(Agency.objects.get(slug=f"us-many-{n}"), "support")],
        )
    more_queries, more_size = measure()
    assert more_queries == queries
    assert more_size < size + 2000  # at most a few more suggestions, never the catalog
    assert "us-many-2099" not in client.get(f"/cases/{case.pk}/").content.decode()


# ---------------------------------------------------------------- opening a case: supporting agencies typed


def test_supporting_agencies_are_typed_by_slug_or_acronym(catalog, coordinator_us):
    response = signed_in(coordinator_us).post(
        "/cases/new/",
        {"title": "Typed supporters", "sensitivity": "public", "supporting": "mx-fgr, HSI us-atf"},
    )
    case = Case.objects.get(title="Typed supporters")
    assert response.status_code == 302
    assert set(case.participants.values_list("agency__slug", "role")) == {
        ("us-atf", "lead"),
        ("mx-fgr", "support"),
        ("us-hsi", "support"),
    }


def test_unknown_supporting_agencies_are_named_and_the_input_kept(catalog, coordinator_us):
    response = signed_in(coordinator_us).post(
        "/cases/new/", {"title": "Kept title", "sensitivity": "public", "supporting": "mx-fgr, NOPE, nada"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Supporting agencies: no active agency has the slug or acronym “NOPE”" in html
    assert "Supporting agencies: no active agency has the slug or acronym “nada”" in html
    assert 'value="mx-fgr, NOPE, nada"' in html and 'value="Kept title"' in html
    assert not Case.objects.filter(title="Kept title").exists()


def test_the_new_case_page_does_not_grow_with_the_catalog(catalog, coordinator_us):
    client = signed_in(coordinator_us)
    client.get("/cases/new/")
    with CaptureQueriesContext(connection) as small:
        size = len(client.get("/cases/new/").content)
    _add_many_agencies(catalog, acronyms=False)
    with CaptureQueriesContext(connection) as large:
        more = client.get("/cases/new/").content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(more) < size + 500 and "us-many-" not in more


def _add_many_agencies(catalog, *, acronyms: bool, count: int = 2100) -> None:
    """A national-scale catalog around the test's cases: `count` more active U.S. agencies."""
    Agency.objects.bulk_create(
        Agency(
            slug=f"us-many-{n}",
            acronym=f"M{n}" if acronyms else "",
            name=f"Many {n}",
            name_es=f"Muchas {n}",
            country=catalog.us,
            jurisdiction=catalog.us,
            level=Agency.Level.FEDERAL,
            kind=Agency.Kind.LAW_ENFORCEMENT,
        )
        for n in range(count)
    )


def test_case_page_queries_do_not_grow_with_its_items_updates_and_subjects(case, catalog, coordinator_us):
    """The page reads only some columns of items, owners, functions and updates: a column it
    shows but did not read would cost a query per row, which this catches."""
    client = signed_in(coordinator_us)

    def measure():
        with CaptureQueriesContext(connection) as context:
            response = client.get(f"/cases/{case.pk}/")
        assert response.status_code == 200
        return len(context.captured_queries), response.content.decode()

    measure()  # warm the per-process caches
    first = services.action_item_create(
        user=coordinator_us, case=case, owner=catalog.atf, title="First item", function=catalog.tracing
    )
    services.action_update_add(item=first, user=coordinator_us, text="Started on the first.")
    queries, _html = measure()
    for n in range(6):
        owner = catalog.fgr if n % 2 else catalog.atf
        added = services.action_item_create(
            user=coordinator_us, case=case, owner=owner, title=f"Item {n}", function=catalog.prosecution
        )
        services.action_update_add(item=added, user=coordinator_us, text=f"Update {n}")
        services.subject_add(case=case, user=coordinator_us, kind="firearm", identifier=f"SN{n}00{n}", make="Colt")
    more_queries, html = measure()
    assert more_queries == queries
    assert "Item 5" in html and "Update 5" in html and "SN5005" in html
    assert ">FGR<" in html and "Prosecution" in html and "coordinator.us" in html
