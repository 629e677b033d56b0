"""One normalizer per kind of case subject (docs/SPEC.md §3): the key two cases share when they
touch the same gun, dealer, phone, vehicle, person, organization or place.

Each function takes what a person typed, in any common format, and returns the same key for
every way of writing one identifier. Each raises ValueError (with a translated message)
when the input cannot identify anything.
"""

import datetime
import re

import phonenumbers
from django.utils.translation import gettext as _

from agencies.search import fold

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_NOT_DIGIT = re.compile(r"\D+")


def _compact(text: str) -> str:
    """Upper case, accents removed, everything but letters and digits dropped."""
    return _NOT_ALNUM.sub("", fold(text).upper())


def firearm_key(make: str, serial: str) -> str:
    """Manufacturer + serial, both upper-cased without spaces, dashes or other marks:
    `Glock`/`ab-123 45` and `GLOCK`/`AB12345` give `GLOCK:AB12345`."""
    maker = _compact(make)
    number = _compact(serial)
    if not maker:
        raise ValueError(_("Give the manufacturer of the firearm."))
    if not number:
        raise ValueError(_("Give the serial number of the firearm."))
    return f"{maker}:{number}"


# An ATF Federal Firearms License: region, district, county, type, expiration, serial
# (1-57-021-01-8K-05432). The expiration segment changes at each renewal, so it is left out.
_FFL = re.compile(r"^(\d)(\d{2})(\d{3})(\d{2})(\d[A-Z])(\d{5})$")


def dealer_key(license_number: str) -> str:
    """The digits of a dealer's license; for a full FFL number, its digits without the
    expiration segment, so a renewed license keeps its key."""
    compact = _compact(license_number)
    match = _FFL.match(compact)
    if match:
        region, district, county, kind, _expiry, serial = match.groups()
        return f"{region}{district}{county}{kind}{serial}"
    digits = _NOT_DIGIT.sub("", compact)
    if not digits:
        raise ValueError(_("A dealer license number must contain digits."))
    return digits


def _phone_candidates(number: str) -> list[str]:
    """International forms to try for a number as typed in the United States or Mexico."""
    raw = (number or "").strip()
    digits = _NOT_DIGIT.sub("", raw)
    if raw.startswith("+"):
        international = digits
    elif digits.startswith("011"):  # dialled from the United States
        international = digits[3:]
    elif digits.startswith("00"):  # dialled from Mexico
        international = digits[2:]
    else:
        international = ""
    if international:
        if international.startswith("521") and len(international) == 13:
            # Mexico dropped the mobile "1" after the country code in 2019.
            international = "52" + international[3:]
        return ["+" + international]
    if len(digits) == 13 and digits[:3] in {"044", "045"}:  # old Mexican mobile prefixes
        return ["+52" + digits[3:]]
    if len(digits) == 13 and digits.startswith("521"):
        return ["+52" + digits[3:]]
    if len(digits) == 12 and digits.startswith("01"):  # old Mexican long-distance prefix
        return ["+52" + digits[2:]]
    if len(digits) == 12 and digits.startswith("52"):
        return ["+" + digits]
    if len(digits) == 11 and digits.startswith("1"):
        return ["+" + digits]
    if len(digits) == 10:
        # Ten national digits are read as a U.S. number when valid there, else as Mexican.
        return ["+1" + digits, "+52" + digits]
    return []


def phone_key(number: str) -> str:
    """E.164 (`+525512345678`, `+19155550143`) for a number in any common U.S. or Mexican
    format: with or without country code, exit codes 00/011, old Mexican prefixes 01, 044,
    045 and the mobile 1 after +52, any punctuation."""
    for candidate in _phone_candidates(number):
        try:
            parsed = phonenumbers.parse(candidate, None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    raise ValueError(_("“%(number)s” is not a valid U.S. or Mexican phone number.") % {"number": number})


_VIN_TYPOS = str.maketrans({"I": "1", "O": "0", "Q": "0"})


def vehicle_key(vin: str) -> str:
    """A VIN upper-cased without spaces or dashes; in a 17-character VIN the letters I, O
    and Q (never used there) are read as the digits they are mistaken for."""
    compact = _compact(vin)
    if not compact:
        raise ValueError(_("Give the vehicle identification number (VIN) or plate."))
    if len(compact) == 17:
        compact = compact.translate(_VIN_TYPOS)
    return compact


def _words(name: str) -> list[str]:
    return [word for word in fold(name).split(" ") if word]


def person_key(name: str, birth_date: datetime.date | None = None) -> str:
    """The case- and accent-folded name (`Last, First` read as `First Last`), plus the date
    of birth when known: `jose garcia lopez|1980-05-01`."""
    if "," in (name or ""):
        last, _sep, first = name.partition(",")
        name = f"{first} {last}"
    words = _words(name)
    if not words:
        raise ValueError(_("Give the person's name."))
    key = " ".join(words)
    return f"{key}|{birth_date.isoformat()}" if birth_date else key


# Legal forms dropped from the end of an organization's name, compacted (no spaces or dots).
_LEGAL_FORMS = {
    "sadecv",
    "sapidecv",
    "sabdecv",
    "sderldecv",
    "sderl",
    "sa",
    "sc",
    "ac",
    "spr",
    "sprderl",
    "llc",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "ltd",
    "lp",
    "llp",
    "plc",
}


def organization_key(name: str) -> str:
    """The folded name without a trailing legal form: `Armas del Norte, S.A. de C.V.` and
    `ARMAS DEL NORTE SA DE CV` give `armas del norte`."""
    words = _words(name)
    for size in range(min(6, len(words) - 1), 0, -1):
        if "".join(words[-size:]) in _LEGAL_FORMS:
            words = words[:-size]
            break
    if not words:
        raise ValueError(_("Give the organization's name."))
    return " ".join(words)


_ADDRESS_WORDS = {
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenida",
    "avda": "avenida",
    "blvd": "boulevard",
    "rd": "road",
    "dr": "drive",
    "hwy": "highway",
    "col": "colonia",
    "no": "numero",
    "num": "numero",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "ste": "suite",
    "apt": "apartment",
    "cp": "cp",
}


def address_key(address: str) -> str:
    """The folded address with common abbreviations (St, Ave, Av., Col., No.) spelled out."""
    words = [_ADDRESS_WORDS.get(word, word) for word in _words(address)]
    if not words:
        raise ValueError(_("Give the address."))
    return " ".join(words)


def subject_key(kind: str, identifier: str, *, make: str = "", birth_date: datetime.date | None = None) -> str:
    """The normalized key of a case subject of the given kind."""
    if kind == "firearm":
        return firearm_key(make, identifier)
    if kind == "dealer":
        return dealer_key(identifier)
    if kind == "phone":
        return phone_key(identifier)
    if kind == "vehicle":
        return vehicle_key(identifier)
    if kind == "person":
        return person_key(identifier, birth_date)
    if kind == "organization":
        return organization_key(identifier)
    if kind == "address":
        return address_key(identifier)
    raise ValueError(_("Unknown kind of subject “%(kind)s”.") % {"kind": kind})
