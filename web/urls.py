"""Web pages people bookmark and share (API.md § Web pages)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from web import views, views_cases

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("agencies/<slug:slug>/", views.agency_detail, name="agency"),
    path("counterparts/", views.counterparts, name="counterparts"),
    path("counterparts/sheet/", views.contact_sheet, name="contact-sheet"),
    path("contacts/<int:pk>/vcard/", views.contact_vcard_download, name="contact-vcard"),
    path("jurisdictions/<str:code>/", views.jurisdiction_detail, name="jurisdiction"),
    path("coverage/", views.coverage, name="coverage"),
    path("open-data/", views.open_data, name="open-data"),
    path("open-data/<slug:name>.<str:fmt>", views.open_data_download, name="open-data-download"),
    path("metrics/", views.metrics, name="metrics"),
    path("cases/", views_cases.case_list, name="cases"),
    path("cases/new/", views_cases.case_create, name="case-create"),
    path("cases/<int:pk>/", views_cases.case_detail, name="case"),
    path("actions/", views_cases.action_list, name="actions"),
    path("actions/<int:pk>/", views_cases.action_detail, name="action"),
    path("flags/", views_cases.flag_list, name="flags"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
