"""The Spanish catalog is complete: every string the code marks for translation has a
Spanish translation, and none is fuzzy."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

SOURCE_DIRS = [
    "registry",
    "agencies",
    "cases",
    "flags",
    "web",
    "privacy",
    "interchange",
    "federation",
    "synthetic",
    "templates",
]


@pytest.fixture(scope="module")
def fresh_catalog(tmp_path_factory) -> polib.POFile:
    """Extract the strings of the current code into a copy of the catalog, as
    `makemessages` would, without touching the working tree."""
    root = Path(settings.BASE_DIR)
    work = tmp_path_factory.mktemp("messages")
    for name in SOURCE_DIRS:
        if (root / name).is_dir():
            shutil.copytree(root / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copytree(root / "locale", work / "locale")
    shutil.copy(root / "manage.py", work / "manage.py")
    for domain in ("django", "djangojs"):
        if domain == "djangojs" and not (root / "locale" / "es" / "LC_MESSAGES" / "djangojs.po").exists():
            continue
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "makemessages", "-l", "es", "-d", domain, "--no-obsolete", "-v", "0"],
            cwd=work,
            check=True,
            env={"DJANGO_DEBUG": "1", "PATH": "/usr/bin:/bin"},
        )
    return polib.pofile(str(work / "locale" / "es" / "LC_MESSAGES" / "django.po"))


def test_every_string_has_a_spanish_translation(fresh_catalog):
    missing = [entry.msgid for entry in fresh_catalog.untranslated_entries()]
    assert missing == [], f"{len(missing)} strings have no Spanish translation, e.g. {missing[:10]}"


def test_no_translation_is_fuzzy(fresh_catalog):
    fuzzy = [entry.msgid for entry in fresh_catalog.fuzzy_entries()]
    assert fuzzy == [], f"{len(fuzzy)} Spanish translations are fuzzy, e.g. {fuzzy[:10]}"


def test_the_catalog_compiles_and_is_used():
    from django.utils import translation

    with translation.override("es"):
        assert str(translation.gettext("Spanish")) == "Español"
