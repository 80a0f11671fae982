"""Signing in: the one-time link `make run` prints, and the password form, both guarded against guessing."""
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from fcm.inventory.models import LoginToken
from fcm.inventory.throttle import (
    ONE_TIME_LINKS_PER_ADDRESS, SIGN_IN_PER_ADDRESS, SIGN_IN_PER_ADDRESS_AND_NAME, count_failure, too_many,
    wait_seconds,
)

#: What a wrong password counts against: the (address, user name) pair, and the address.
SIGN_IN_LIMITS = (SIGN_IN_PER_ADDRESS_AND_NAME, SIGN_IN_PER_ADDRESS)


class LoginView(auth_views.LoginView):
    """Django's sign-in form; after too many failures for one user name from one address, or from one
    address in all, refused (429, with how long to wait at the form) without even checking the password."""

    def post(self, request, *args, **kwargs):
        seconds = wait_seconds(request, *SIGN_IN_LIMITS)
        if seconds:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, too_many(seconds))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        count_failure(self.request, *SIGN_IN_LIMITS)
        return super().form_invalid(form)


@never_cache
def one_time_login(request, token):
    seconds = wait_seconds(request, ONE_TIME_LINKS_PER_ADDRESS)
    if seconds:
        return render(request, "registration/link_expired.html", {"error": too_many(seconds)}, status=429)
    user = LoginToken.redeem(token)
    if user is None or not user.is_active:
        count_failure(request, ONE_TIME_LINKS_PER_ADDRESS)
        return render(request, "registration/link_expired.html", status=403)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("console:lab-list")
