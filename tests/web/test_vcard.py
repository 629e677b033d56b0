"""web/vcard.py: escaping and line folding of RFC 2426 vCards."""

import pytest

from tests.factories import AgencyFactory, ContactFactory
from web.vcard import contact_vcard

pytestmark = pytest.mark.django_db


def test_special_characters_are_escaped_and_long_lines_folded():
    agency = AgencyFactory(slug="mx-test", name="Fiscalía General; Unidad de Armas, Norte")
    contact = ContactFactory(
        agency=agency, name="José María Pérez-Ñúñez", title="Enlace, rastreo; armas " + "x" * 80, is_desk=False
    )
    card = contact_vcard(contact)
    lines = card.split("\r\n")
    assert lines[0] == "BEGIN:VCARD" and lines[-2] == "END:VCARD" and lines[-1] == ""
    assert "FN:José María Pérez-Ñúñez" in lines
    assert "N:Pérez-Ñúñez;José María;;;" in lines
    assert "ORG:Fiscalía General\\; Unidad de Armas\\, Norte" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = card.replace("\r\n ", "")
    assert "TITLE:Enlace\\, rastreo\\; armas " + "x" * 80 in unfolded


def test_a_desk_has_no_family_name():
    contact = ContactFactory(name="Mesa de enlace FGR", is_desk=True)
    assert "N:;;;;Mesa de enlace FGR\r\n" in contact_vcard(contact)
