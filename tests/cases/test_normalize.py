"""Each normalizer: formatting variants of one identifier give one key; distinct
identifiers give distinct keys (property tests with hypothesis)."""

import datetime
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cases.normalize import (
    _LEGAL_FORMS,
    address_key,
    dealer_key,
    firearm_key,
    organization_key,
    person_key,
    phone_key,
    subject_key,
    vehicle_key,
)

# The machine is shared with other test runs: judge the properties, not the generation speed.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)

ALNUM = string.ascii_uppercase + string.digits
SEPARATORS = st.sampled_from(["", " ", "-", "  ", ".", "/"])


@st.composite
def formatted(draw, text: str):
    """The text with random case and random separators between its characters."""
    out = []
    for ch in text:
        out.append(ch.lower() if draw(st.booleans()) else ch.upper())
        out.append(draw(SEPARATORS))
    return draw(SEPARATORS) + "".join(out)


# ------------------------------------------------------------------ firearms


def test_firearm_example_of_the_issue():
    assert firearm_key("Glock", "ab-123 45") == firearm_key("GLOCK", "AB12345") == "GLOCK:AB12345"


def test_firearm_make_is_part_of_the_key():
    assert firearm_key("Colt", "AB12345") != firearm_key("Glock", "AB12345")


def test_firearm_make_folds_accents_and_marks():
    assert firearm_key("Smith & Wesson", "x1") == firearm_key("SMITH-WESSON", "X 1")


@pytest.mark.parametrize(("make", "serial"), [("", "AB1"), ("Colt", ""), ("Colt", " -- ")])
def test_firearm_refuses_empty_parts(make, serial):
    with pytest.raises(ValueError):
        firearm_key(make, serial)


@relaxed
@given(serial=st.text(alphabet=ALNUM, min_size=1, max_size=12), data=st.data())
def test_firearm_variants_give_one_key(serial, data):
    variant = data.draw(formatted(serial))
    make_variant = data.draw(formatted("Colt"))
    assert firearm_key(make_variant, variant) == firearm_key("COLT", serial)


@relaxed
@given(a=st.text(alphabet=ALNUM, min_size=1, max_size=12), b=st.text(alphabet=ALNUM, min_size=1, max_size=12))
def test_firearm_distinct_serials_give_distinct_keys(a, b):
    assume(a != b)
    assert firearm_key("Colt", a) != firearm_key("Colt", b)


# ------------------------------------------------------------------ dealers


def test_dealer_full_ffl_drops_the_expiration_segment():
    assert dealer_key("1-57-021-01-8K-05432") == "15702101" + "05432"
    # The renewed license (new expiration code) keeps its key.
    assert dealer_key("1-57-021-01-9B-05432") == dealer_key("157021018K05432")


def test_dealer_other_numbers_keep_their_digits():
    assert dealer_key("FFL 5-74-12345") == "57412345"


def test_dealer_refuses_no_digits():
    with pytest.raises(ValueError):
        dealer_key("unknown")


FFL_PARTS = st.tuples(
    st.from_regex(r"\A[0-9]\Z"),
    st.from_regex(r"\A[0-9]{2}\Z"),
    st.from_regex(r"\A[0-9]{3}\Z"),
    st.from_regex(r"\A[0-9]{2}\Z"),
    st.from_regex(r"\A[0-9][A-M]\Z"),
    st.from_regex(r"\A[0-9]{5}\Z"),
)


@relaxed
@given(parts=FFL_PARTS, separator=st.sampled_from(["-", "", " ", " - "]), lower=st.booleans())
def test_dealer_variants_give_one_key(parts, separator, lower):
    written = separator.join(parts)
    written = written.lower() if lower else written
    assert dealer_key(written) == dealer_key("-".join(parts))


@relaxed
@given(a=FFL_PARTS, b=FFL_PARTS)
def test_dealer_distinct_licenses_give_distinct_keys(a, b):
    # Licenses differing only in the expiration segment are the same license.
    assume(a[:4] + a[5:] != b[:4] + b[5:])
    assert dealer_key("-".join(a)) != dealer_key("-".join(b))


# ------------------------------------------------------------------ phones

US_SAMPLES = ["+19155550143", "+12025550143", "+15205551234", "+19565550199"]
MX_SAMPLES = ["+525512345678", "+526561234567", "+528112345678", "+526641234567"]


@pytest.mark.parametrize(
    "written",
    ["+1 (915) 555-0143", "915-555-0143", "(915) 555 0143", "1 915 555 0143", "011 1 915 555 0143", "915.555.0143"],
)
def test_phone_us_formats(written):
    assert phone_key(written) == "+19155550143"


@pytest.mark.parametrize(
    "written",
    [
        "+52 55 1234 5678",
        "+52 1 55 1234 5678",
        "52 55 1234-5678",
        "00 52 55 1234 5678",
        "011 52 55 1234 5678",
        "01 55 1234 5678",
        "044 55 1234 5678",
        "045 55 1234 5678",
        "+52 (55) 1234-5678",
    ],
)
def test_phone_mexican_formats(written):
    assert phone_key(written) == "+525512345678"


def test_phone_ten_digits_invalid_in_the_us_read_as_mexican():
    # 656 (Ciudad Juárez) is no U.S. area code.
    assert phone_key("656 123 4567") == "+526561234567"


@pytest.mark.parametrize("written", ["", "12", "not a phone", "+1 000 000 0000"])
def test_phone_refuses_invalid(written):
    with pytest.raises(ValueError):
        phone_key(written)


def _us_variants(e164: str):
    national = e164[2:]
    area, exchange, line = national[:3], national[3:6], national[6:]
    return st.sampled_from(
        [
            f"+1 ({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"({area}) {exchange} {line}",
            f"1-{area}-{exchange}-{line}",
            f"011 1 {area} {exchange} {line}",
            f"{area}.{exchange}.{line}",
            f"+1{national}",
        ]
    )


def _mx_variants(e164: str):
    national = e164[3:]
    area, rest = national[:2], national[2:]
    return st.sampled_from(
        [
            f"+52 {area} {rest[:4]} {rest[4:]}",
            f"+52 1 {area} {rest}",
            f"52 ({area}) {rest[:4]}-{rest[4:]}",
            f"00 52 {national}",
            f"011 52 {national}",
            f"01 {area} {rest}",
            f"044 {area} {rest}",
            f"+52{national}",
        ]
    )


@relaxed
@given(index=st.integers(min_value=0, max_value=len(US_SAMPLES) - 1), data=st.data())
def test_phone_us_variants_give_one_key(index, data):
    e164 = US_SAMPLES[index]
    assert phone_key(data.draw(_us_variants(e164))) == e164


@relaxed
@given(
    line=st.integers(min_value=0, max_value=9999), exchange=st.sampled_from(["1234", "5678", "2468"]), data=st.data()
)
def test_phone_mexican_variants_give_one_key(line, exchange, data):
    e164 = f"+5255{exchange}{line:04d}"
    assert phone_key(data.draw(_mx_variants(e164))) == e164


@relaxed
@given(a=st.integers(min_value=0, max_value=9999), b=st.integers(min_value=0, max_value=9999))
def test_phone_distinct_numbers_give_distinct_keys(a, b):
    assume(a != b)
    assert phone_key(f"+52 55 1234 {a:04d}") != phone_key(f"+52 55 1234 {b:04d}")
    assert phone_key(f"(915) 555-{a:04d}") != phone_key(f"(915) 555-{b:04d}")


# ------------------------------------------------------------------ vehicles

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q in a VIN


def test_vehicle_reads_letters_never_in_a_vin_as_digits():
    assert vehicle_key("1hgcm82633a0o4352") == vehicle_key("1HGCM82633A004352")


@relaxed
@given(vin=st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17), data=st.data())
def test_vehicle_variants_give_one_key(vin, data):
    assert vehicle_key(data.draw(formatted(vin))) == vin


@relaxed
@given(
    a=st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17),
    b=st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17),
)
def test_vehicle_distinct_vins_give_distinct_keys(a, b):
    assume(a != b)
    assert vehicle_key(a) != vehicle_key(b)


# ------------------------------------------------------------------ people and organizations

WORDS = st.lists(st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=8), min_size=1, max_size=4)
ACCENTED = str.maketrans({"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ"})


def test_person_folds_case_and_accents():
    assert person_key("JOSÉ GARCÍA López") == person_key("jose garcia lopez") == "jose garcia lopez"


def test_person_last_comma_first():
    assert person_key("García López, José") == person_key("José García López")


def test_person_birth_date_distinguishes_namesakes():
    first = person_key("Juan Pérez", datetime.date(1980, 5, 1))
    assert first == "juan perez|1980-05-01"
    assert first != person_key("Juan Pérez", datetime.date(1991, 2, 3))


@relaxed
@given(words=WORDS, upper=st.booleans(), accents=st.booleans(), spaces=st.sampled_from([" ", "  ", " \t "]))
def test_person_variants_give_one_key(words, upper, accents, spaces):
    written = spaces.join(words)
    written = written.translate(ACCENTED) if accents else written
    written = written.upper() if upper else written
    assert person_key(written) == person_key(" ".join(words))


@relaxed
@given(a=WORDS, b=WORDS)
def test_person_distinct_names_give_distinct_keys(a, b):
    assume(a != b)
    assert person_key(" ".join(a)) != person_key(" ".join(b))


def test_organization_drops_legal_forms():
    assert organization_key("Armas del Norte, S.A. de C.V.") == "armas del norte"
    assert organization_key("ARMAS DEL NORTE SA DE CV") == "armas del norte"
    assert organization_key("Border Guns LLC") == organization_key("border guns")


def test_organization_keeps_a_name_that_is_only_a_legal_form_word():
    assert organization_key("Inc") == "inc"


LEGAL_FORMS = st.sampled_from(["", " S.A. de C.V.", " SA DE CV", ", LLC", " Inc.", " S. de R.L."])


@relaxed
@given(words=WORDS, form=LEGAL_FORMS, upper=st.booleans(), accents=st.booleans())
def test_organization_variants_give_one_key(words, form, upper, accents):
    assume(
        not {"sa", "de", "cv", "llc", "inc", "co", "corp", "ltd", "lp", "ac", "sc", "spr", "plc", "llp"} & set(words)
    )
    written = " ".join(words)
    written = written.translate(ACCENTED) if accents else written
    written = (written + form).upper() if upper else written + form
    assert organization_key(written) == " ".join(words)


@relaxed
@given(a=WORDS, b=WORDS)
def test_organization_distinct_names_give_distinct_keys(a, b):
    assume(a != b)
    # A name that ends with a legal form, as the words run together ("sa de cv", or the one
    # word "sadecv"), loses it: "aa sadecv" is "aa". Only names without one must stay apart.
    assume(not ends_with_legal_form(a) and not ends_with_legal_form(b))
    assert organization_key(" ".join(a)) != organization_key(" ".join(b))


def ends_with_legal_form(words: list[str]) -> bool:
    return any("".join(words[-size:]) in _LEGAL_FORMS for size in range(1, min(6, len(words) - 1) + 1))


# ------------------------------------------------------------------ addresses


def test_address_spells_out_abbreviations():
    assert address_key("123 Main St.") == address_key("123 MAIN STREET")
    assert address_key("Av. Juárez No. 45, Col. Centro") == address_key("Avenida Juarez Numero 45 Colonia Centro")


def test_address_distinct_numbers_differ():
    assert address_key("123 Main St") != address_key("124 Main St")


# ------------------------------------------------------------------ dispatch


def test_subject_key_dispatches_by_kind():
    assert subject_key("firearm", "ab-1", make="Colt") == "COLT:AB1"
    assert subject_key("phone", "915 555 0143") == "+19155550143"
    assert subject_key("person", "Ana", birth_date=datetime.date(2000, 1, 2)) == "ana|2000-01-02"


def test_subject_key_refuses_unknown_kind():
    with pytest.raises(ValueError):
        subject_key("spaceship", "x")
