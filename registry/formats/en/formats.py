"""Dates that read the same on both sides of the border (issue 16): a numeric date is ISO 8601
(2026-12-04, never 12/04/2026, which a Mexican reader takes for 12 April), a long one names
the month, and a time says its zone. Formats not set here are Django's own for the language."""

DATE_FORMAT = "j F Y"  # 4 December 2026
SHORT_DATE_FORMAT = "Y-m-d"  # 2026-12-04
DATETIME_FORMAT = "j F Y, H:i T"  # 4 December 2026, 04:30 UTC
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"  # 2026-12-04 04:30 UTC
TIME_FORMAT = "H:i T"
