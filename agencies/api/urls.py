from rest_framework.routers import DefaultRouter

from agencies.api import views

router = DefaultRouter(trailing_slash=True)
router.register("jurisdictions", views.JurisdictionViewSet)
router.register("functions", views.FunctionalAreaViewSet)
router.register("agencies", views.AgencyViewSet)
router.register("agency-names", views.AgencyNameViewSet)
router.register("identifiers", views.IdentifierViewSet)
router.register("mandates", views.MandateViewSet)
router.register("offices", views.OfficeViewSet)
router.register("contacts", views.ContactViewSet)
router.register("counterpart-links", views.CounterpartLinkViewSet)

urlpatterns = router.urls
