from django.urls import path
from rest_framework.routers import DefaultRouter

from cases.api import views

router = DefaultRouter(trailing_slash=True)
router.register("cases", views.CaseViewSet, basename="case")
router.register("action-items", views.ActionItemViewSet, basename="actionitem")

urlpatterns = [
    path("metrics/", views.MetricsView.as_view(), name="cases-metrics"),
    path("calendar/rotate/", views.CalendarRotateView.as_view(), name="cases-calendar-rotate"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="cases-calendar-feed"),
    *router.urls,
]
