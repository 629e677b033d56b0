"""API sign-in: expiring, revocable tokens, issued only after the second factor where the
role needs one, through `authenticate(request=...)` so django-axes counts every failure."""

from django.contrib.auth import authenticate, user_login_failed
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.api.formats import StringField
from registry.api.permissions import SignedIn
from registry.api.throttles import AnonymousRateThrottle, SignedInRateThrottle
from registry.api.tokens import ExpiringTokenAuthentication, token_expires_at
from registry.middleware import mfa_required_for
from registry.models import SecurityEvent


class TokenRequestSerializer(serializers.Serializer):
    username = StringField(label=gettext_lazy("username"), max_length=150)
    password = StringField(
        label=gettext_lazy("password"), max_length=4096, style={"input_type": "password"}, trim_whitespace=False
    )
    otp = serializers.RegexField(
        r"^\d{6,8}$",
        label=gettext_lazy("one-time code"),
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("The 6-digit code of your authenticator app; required of admin staff and coordinators."),
    )


TokenResponse = inline_serializer(
    "TokenResponse", {"token": serializers.CharField(), "expires": serializers.DateTimeField()}
)


class TokenView(APIView):
    """POST {"username", "password", "otp"} → {"token", "expires"}; DELETE revokes the token
    sent in `Authorization: Token <token>`."""

    authentication_classes = [ExpiringTokenAuthentication]
    throttle_classes = [AnonymousRateThrottle, SignedInRateThrottle]

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [SignedIn()]
        return []

    def get_authenticators(self):
        # Signing in needs no credentials; a stale token sent along must not stop it.
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponse, 400: OpenApiResponse(description="Invalid credentials or one-time code")},
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        django_request = request._request
        user = authenticate(request=django_request, username=username, password=serializer.validated_data["password"])
        if user is None or not user.is_active:
            return Response(
                {"non_field_errors": [_("Unable to sign in with the username and password given.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if mfa_required_for(user):
            refusal = self._check_second_factor(django_request, user, serializer.validated_data.get("otp") or "")
            if refusal is not None:
                return refusal
        token, created = Token.objects.get_or_create(user=user)
        if not created and token_expires_at(token) <= timezone.now():
            token.delete()
            token = Token.objects.create(user=user)
            created = True
        from registry.security_events import record_event

        record_event(request, SecurityEvent.Kind.TOKEN_ISSUED, user=user, new=created)
        return Response({"token": token.key, "expires": token_expires_at(token)})

    @staticmethod
    def _check_second_factor(django_request, user, otp: str):
        from django_otp import match_token, user_has_device

        from registry.security_events import record_event

        if not user_has_device(user, confirmed=True):
            return Response(
                {"detail": _("Your role requires a second factor; enrol an authenticator app first.")},
                status=status.HTTP_403_FORBIDDEN,
            )
        if not otp:
            return Response(
                {"otp": [_("Your role requires the one-time code of your authenticator app.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if match_token(user, otp) is None:
            record_event(django_request, SecurityEvent.Kind.MFA_FAILURE, user=user)
            # A wrong code counts towards the lockout like a wrong password.
            user_login_failed.send(
                sender=__name__, credentials={"username": user.get_username()}, request=django_request
            )
            return Response(
                {"otp": [_("The one-time code is wrong or has expired.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        record_event(django_request, SecurityEvent.Kind.MFA_VERIFIED, user=user, via="api")
        return None

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        from registry.security_events import record_event

        if isinstance(request.auth, Token):
            request.auth.delete()
            record_event(request, SecurityEvent.Kind.TOKEN_REVOKED, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
