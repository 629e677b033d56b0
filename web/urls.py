"""Web pages people bookmark and share (docs/API.md § Web pages)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from web.views import accounts, actions, cases, catalog, flags, metrics, opendata

app_name = "web"

urlpatterns = [
    path("", catalog.home, name="home"),
    path("search/", catalog.search, name="search"),
    path("agencies/<slug:slug>/", catalog.agency_detail, name="agency"),
    path("counterparts/", catalog.counterparts, name="counterparts"),
    path("counterparts/sheet/", catalog.contact_sheet, name="contact-sheet"),
    path("contacts/<int:pk>/vcard/", catalog.contact_vcard_download, name="contact-vcard"),
    path("jurisdictions/<str:code>/", catalog.jurisdiction_detail, name="jurisdiction"),
    path("coverage/", catalog.coverage, name="coverage"),
    path("open-data/", opendata.open_data, name="open-data"),
    path("open-data/<slug:name>.<str:fmt>", opendata.open_data_download, name="open-data-download"),
    path("metrics/", metrics.metrics, name="metrics"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/new/", cases.case_create, name="case-create"),
    path("cases/<int:pk>/", cases.case_detail, name="case"),
    path("actions/", actions.action_list, name="actions"),
    path("actions/<int:pk>/", actions.action_detail, name="action"),
    path("flags/", flags.flag_list, name="flags"),
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
