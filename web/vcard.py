"""vCard 3.0 (RFC 2426) for one point of contact, so a phone can save it in one tap."""

from agencies.models import Contact


def _escape(value: str) -> str:
    return (
        str(value or "")
        .replace("\\", "\\\\")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace(",", "\\,")
        .replace(";", "\\;")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 2425 §5.8.1)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def contact_vcard(contact: Contact) -> str:
    agency = contact.agency
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(contact.name)}"]
    if contact.is_desk:
        lines.append(f"N:;;;;{_escape(contact.name)}")
    else:
        given, _space, family = contact.name.rpartition(" ")
        lines.append(f"N:{_escape(family)};{_escape(given)};;;")
    units = [agency.name] + ([contact.office.name] if contact.office_id else [])
    lines.append("ORG:" + ";".join(_escape(unit) for unit in units))
    if contact.title:
        lines.append(f"TITLE:{_escape(contact.title)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{_escape(contact.email)}")
    if contact.phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{contact.phone}")
    if contact.mobile:
        lines.append(f"TEL;TYPE=CELL:{contact.mobile}")
    notes = []
    if contact.languages:
        notes.append("Languages / Idiomas: " + ", ".join(contact.languages))
    if contact.time_zone:
        notes.append(f"Time zone / Zona horaria: {contact.time_zone}")
    if contact.verified_on:
        notes.append(f"Verified / Verificado: {contact.verified_on.isoformat()}")
    if notes:
        lines.append("NOTE:" + _escape("\n".join(notes)))
    lines.append(f"UID:enlace-contact-{contact.pk}")
    lines.append(f"REV:{contact.updated_at.strftime('%Y%m%dT%H%M%SZ')}")
    lines.append("END:VCARD")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
