"""Signing in: the one-time link `make run` prints, and the password form, both guarded against guessing."""
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from fcm.inventory.models import LoginToken
from fcm.inventory.throttle import (
    SIGN_IN_FAILURES_PER_ADDRESS, SIGN_IN_FAILURES_PER_NAME, count_failure, failures_exceeded,
)

class LoginView(auth_views.LoginView):
    """Django's sign-in form; after too many failures from one address or for one user name, refused
    (with the reason at the form) without even checking the password."""

    def post(self, request, *args, **kwargs):
        if failures_exceeded(request, "sign-in-address", SIGN_IN_FAILURES_PER_ADDRESS) or \
                failures_exceeded(request, "sign-in-name", SIGN_IN_FAILURES_PER_NAME, key="post:username"):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, "Too many failed sign-ins. Wait ten minutes and try again.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        count_failure(self.request, "sign-in-address", SIGN_IN_FAILURES_PER_ADDRESS)
        count_failure(self.request, "sign-in-name", SIGN_IN_FAILURES_PER_NAME, key="post:username")
        return super().form_invalid(form)


@never_cache
def one_time_login(request, token):
    if failures_exceeded(request, "one-time-link", SIGN_IN_FAILURES_PER_ADDRESS):
        return render(request, "registration/link_expired.html", status=429)
    user = LoginToken.redeem(token)
    if user is None or not user.is_active:
        count_failure(request, "one-time-link", SIGN_IN_FAILURES_PER_ADDRESS)
        return render(request, "registration/link_expired.html", status=403)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("console:lab-list")
