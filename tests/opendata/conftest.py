"""The page tests' small binational catalog and clients serve the open-data tests too."""

from tests.web.conftest import anonymous, catalog, spanish  # noqa: F401
