from django.urls import path

from . import views

app_name = "wizards"

urlpatterns = [
    path("labs/<int:lab>/wizards/<str:kind>/", views.WizardView.as_view(), name="start"),
    path("labs/<int:lab>/wizard/<uuid:draft>/", views.WizardView.as_view(), name="draft"),
    path("labs/<int:lab>/validation-reports/", views.ReportListView.as_view(), name="reports"),
    path("labs/<int:lab>/validation-reports/<int:pk>/", views.ReportView.as_view(), name="report"),
    path("labs/<int:lab>/operations/<int:pk>/report/", views.OperationReportView.as_view(), name="operation-report"),
]
