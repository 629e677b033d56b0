"""Loading the signed-in user of a web request.

Django's ModelBackend reads the user by primary key; the page then reads the user's groups
(for the role) and the user's agency (the header shows it): three queries on every page.
This backend reads all three at once, the role as one EXISTS per role group, as the API's
token lookup does (registry/api/tokens.py).
"""

from django.contrib.auth import backends, get_user_model
from django.db.models import Exists, OuterRef

from registry.models import ROLE_ORDER, Role


def _membership(role: Role) -> Exists:
    User = get_user_model()
    return Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=role.value))


class ModelBackend(backends.ModelBackend):
    """Django's backend (passwords, permissions), loading the user with agency and role."""

    def get_user(self, user_id):
        User = get_user_model()
        flags = {f"_member_{index}": _membership(role) for index, role in enumerate(ROLE_ORDER)}
        user = User._default_manager.select_related("agency").annotate(**flags).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        # What User.role would read with a query of its own, derived the same way.
        roles = [role.value for index, role in enumerate(ROLE_ORDER) if getattr(user, f"_member_{index}")]
        user.__dict__["role"] = roles[0] if roles else Role.PUBLIC
        return user
