from django.urls import path

from .consumers import LabConsumer

websocket_urlpatterns = [
    path("ws/labs/<int:lab>/", LabConsumer.as_asgi()),
]
