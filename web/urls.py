"""Web pages people bookmark and share (API.md § Web pages)."""

urlpatterns: list = []
