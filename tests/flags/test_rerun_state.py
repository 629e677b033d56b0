"""A rerun compares the stored flags with what the detectors find without decoding the stored
parameters: it compares them as text with the finding's written out as jsonb writes them,
and decodes only when the texts differ. Whatever the text says, the outcome is the one of
comparing the values."""

import datetime

import pytest
from django.db import connection, transaction

import flags.services
from flags.detectors import DETECTORS
from flags.models import Flag, FlagKind
from flags.services import _jsonb_text, sync_flags
from tests.factories import ContactFactory
from tests.flags.builders import action, agency, case, firearm, function, liaison, mandate, places

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_kind():
    geo = places()
    investigation = function()
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    dps = agency("us-txdps", geo["US"], level="state")
    liaison(atf, investigation)
    liaison(hsi, investigation)
    mandate(atf, investigation, [geo["US"]])
    mandate(hsi, investigation, [geo["US-TX"], geo["US-ELP"]])
    mandate(dps, investigation, [geo["US-TX"]])  # no liaison: missing contact
    ContactFactory(agency=atf, verified_on=datetime.date(2000, 1, 1))  # stale
    ContactFactory(agency=hsi, verified_on=None)  # never verified
    first, second = case(atf, title="One"), case(hsi, title="Two")
    firearm(first, "SN-123")
    firearm(second, "sn 123")
    action(first, atf, investigation)
    action(first, hsi, investigation)
    for kind in FlagKind.values:
        sync_flags(kind=kind)
    for kind in FlagKind.values:
        assert Flag.objects.filter(kind=kind).exists(), kind


def stored_params_text(kind) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, CAST(params AS TEXT) FROM flags_flag WHERE kind = %s", [kind])
        return dict(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="jsonb's text")
@pytest.mark.parametrize("kind", FlagKind.values)
def test_the_parameters_of_each_kind_are_written_as_jsonb_writes_them(every_kind, kind):
    texts = stored_params_text(kind)
    findings = DETECTORS[kind].find(None)
    assert findings
    for finding in findings:
        assert texts[finding.key] == _jsonb_text(finding.params)


@pytest.mark.parametrize("kind", FlagKind.values)
def test_a_rerun_changes_nothing(every_kind, kind):
    result = sync_flags(kind=kind)
    assert (result.opened, result.updated, result.reopened, result.closed) == (0, 0, 0, 0)
    assert result.unchanged == Flag.objects.filter(kind=kind).count()


@pytest.mark.parametrize("kind", FlagKind.values)
def test_texts_that_differ_are_compared_as_values(every_kind, kind, monkeypatch):
    monkeypatch.setattr(flags.services, "_jsonb_text", lambda params: '{"written": "otherwise"}')
    result = sync_flags(kind=kind)
    assert (result.updated, result.unchanged) == (0, Flag.objects.filter(kind=kind).count())


@pytest.mark.parametrize("kind", FlagKind.values)
def test_stored_parameters_that_differ_are_rewritten(every_kind, kind):
    flag = Flag.objects.filter(kind=kind).first()
    expected = flag.params
    with transaction.atomic():
        Flag.objects.filter(pk=flag.pk).update(params={**expected, "stale": 1})
    result = sync_flags(kind=kind)
    assert result.updated == 1
    flag.refresh_from_db()
    assert flag.params == expected


def test_keys_and_digests_written_out_are_the_stable_hashes_of_their_inputs(every_kind):
    from cases.models import CaseSubject
    from tests.flags.test_stable_hash import reference_hash

    matches = DETECTORS[FlagKind.SUBJECT_MATCH].find(None)
    assert matches
    for finding in matches:
        subject = CaseSubject.objects.get(pk=finding.objects["subject_id"])
        assert finding.key == reference_hash(
            FlagKind.SUBJECT_MATCH, finding.objects["subject_id"], finding.objects["other_subject_id"]
        )
        assert finding.digest == reference_hash(
            subject.kind, subject.normalized_key, *finding.params["cases"], *finding.params["leads"]
        )
    duplicates = DETECTORS[FlagKind.DUPLICATE_ACTION].find(None)
    assert duplicates
    for finding in duplicates:
        assert finding.key == reference_hash(FlagKind.DUPLICATE_ACTION, *finding.params["items"])
        assert finding.digest == reference_hash(
            finding.params["case"], finding.params["function"], *finding.params["owners"]
        )
    for kind in (FlagKind.MANDATE_OVERLAP, FlagKind.MISSING_CONTACT):
        for finding in DETECTORS[kind].find(None):
            first, second = (
                (finding.objects["mandate_id"], finding.objects["other_mandate_id"])
                if kind == FlagKind.MANDATE_OVERLAP
                else (finding.objects["agency_id"], finding.objects["function_id"])
            )
            assert finding.key == reference_hash(kind, first, second)
