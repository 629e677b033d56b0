"""The Spanish catalog is complete: every string the code marks for translation has a
Spanish translation, and none is fuzzy."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

# What `makemessages --ignore=.venv` would not read anyway, or cannot hold strings: the copy
# is the whole project less these, so that an app added on any branch is read too (a fixed
# list of folders missed new apps).
NOT_COPIED = shutil.ignore_patterns(
    ".venv",
    ".git",
    "__pycache__",
    "*.mo",
    "*.pyc",
    "node_modules",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".schemathesis",
    "staticfiles",
    "test-results",
    "backups",
    "out",
    "*.sqlite3",
)
# The names makemessages collects from Python (its xgettext keywords) and the `_` alias.
COLLECTED_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


@pytest.fixture(scope="module")
def fresh_catalog(tmp_path_factory) -> polib.POFile:
    """Extract the strings of the current code into a copy of the catalog, as
    `makemessages` would, without touching the working tree."""
    root = Path(settings.BASE_DIR)
    work = tmp_path_factory.mktemp("messages")
    work = work / "project"
    shutil.copytree(root, work, ignore=NOT_COPIED, symlinks=True)
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


def test_no_module_imports_a_translation_function_under_a_name_makemessages_skips():
    """`from django.utils.translation import gettext_lazy as _l` hides the strings from
    makemessages (they stayed English on Spanish pages): only the names it collects."""
    import ast

    root = Path(settings.BASE_DIR)
    hidden = []
    for path in root.rglob("*.py"):
        if ".venv" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for alias in node.names:
                    name = alias.asname or alias.name
                    if alias.name in COLLECTED_NAMES and name not in COLLECTED_NAMES:
                        hidden.append(f"{path.relative_to(root)}: {alias.name} as {name}")
    assert hidden == [], hidden
