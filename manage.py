#!/usr/bin/env python
"""Django's command-line utility for Enlace."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reading the settings is the check)
    except ImproperlyConfigured as refused:
        # Say what to set, not a traceback through Django's command loader.
        sys.exit(f"Enlace cannot start: {refused}")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
