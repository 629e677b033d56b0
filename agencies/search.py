"""Folding and matching for the one search box (docs/SPEC.md §2 Search).

Text is folded once when it is written (lower case, accents removed) and the query is
folded the same way, so matching is the same on SQLite and PostgreSQL; PostgreSQL adds a
trigram index on the folded column (migration agencies 0002).
"""

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", ascii_text.lower()).strip()


def query_words(query: str) -> list[str]:
    """The folded words of a query; each must appear (as a whole word or its start or middle)."""
    return [word for word in fold(query).split(" ") if word][:8]
