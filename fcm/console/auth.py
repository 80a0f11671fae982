"""The one-time sign-in link that `make run` prints."""
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from fcm.inventory.models import LoginToken


@never_cache
def one_time_login(request, token):
    user = LoginToken.redeem(token)
    if user is None or not user.is_active:
        return render(request, "registration/link_expired.html", status=403)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("console:lab-list")
