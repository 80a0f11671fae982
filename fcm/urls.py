from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from fcm.console.auth import LoginView, one_time_login

urlpatterns = [
    # The administration's own sign-in form is this one too (one place that counts failures).
    path("admin/login/", LoginView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/<str:token>/", one_time_login, name="one-time-login"),
    path("", include("fcm.training.urls")),
    path("", include("fcm.wizards.urls")),
    path("", include("fcm.console.urls")),
]
