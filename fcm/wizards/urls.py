from django.urls import path

from . import views

app_name = "wizards"

urlpatterns = [
    path("labs/<id:lab>/wizards/<str:kind>/", views.WizardView.as_view(), name="start"),
    path("labs/<id:lab>/wizard/<uuid:draft>/", views.WizardView.as_view(), name="draft"),
    path("labs/<id:lab>/validation-reports/", views.ReportListView.as_view(), name="reports"),
    path("labs/<id:lab>/validation-reports/<id:pk>/", views.ReportView.as_view(), name="report"),
    path("labs/<id:lab>/operations/<id:pk>/report/", views.OperationReportView.as_view(), name="operation-report"),
]
