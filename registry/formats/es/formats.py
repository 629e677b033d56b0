"""The Spanish side of registry/formats/en/formats.py: the same ISO 8601 numeric dates, the
month named in Spanish, the zone after every time."""

DATE_FORMAT = r"j \d\e F \d\e Y"  # 4 de diciembre de 2026
SHORT_DATE_FORMAT = "Y-m-d"  # 2026-12-04
DATETIME_FORMAT = r"j \d\e F \d\e Y, H:i T"  # 4 de diciembre de 2026, 04:30 UTC
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"  # 2026-12-04 04:30 UTC
TIME_FORMAT = "H:i T"
