"""Who owns labs loaded from the command line: the administrator.

`make run` creates the administrator on first run with no usable password:
the one-time link it prints is the way in (a password can be set later
with `manage.py changepassword`).
"""
from django.contrib.auth import get_user_model

ADMIN_USERNAME = "admin"


def administrator():
    """The first superuser, created (without a password) if there is none."""
    User = get_user_model()
    user = User.objects.filter(is_superuser=True).order_by("pk").first()
    if user is None:
        user = User(username=ADMIN_USERNAME, is_staff=True, is_superuser=True)
        user.set_unusable_password()
        user.save()
    return user


def resolve(username=None):
    if not username:
        return administrator()
    User = get_user_model()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise LookupError(f"no user named {username!r}") from None
