from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("join/", views.JoinView.as_view(), name="join"),
    path("join/<str:code>/", views.JoinView.as_view(), name="join-code"),
    path("training/hint/", views.HintView.as_view(), name="hint"),
    path("training/next-step/", views.NextStepView.as_view(), name="next-step"),
    path("training/my-lab/", views.MyLabView.as_view(), name="my-lab"),
    path("training/trainees/<id:pk>/replay/", views.ReplayView.as_view(), name="replay"),
    path("training/", views.SessionListView.as_view(), name="sessions"),
    path("training/sessions/<id:pk>/", views.DashboardView.as_view(), name="dashboard"),
    path("training/sessions/<id:pk>/qr.svg", views.QrCodeView.as_view(), name="qr"),
    path("training/sessions/<id:pk>/results.csv", views.ExportView.as_view(), name="export"),
    path("training/sessions/<id:pk>/solution/", views.SolutionView.as_view(), name="solution"),
    path("training/sessions/<id:pk>/trainees/<id:trainee>/reset/", views.TraineeActionView.as_view(),
         name="reset"),
    path("training/sessions/<id:pk>/<str:action>/", views.SessionActionView.as_view(), name="action"),
]
