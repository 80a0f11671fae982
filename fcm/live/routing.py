from django.urls import path

from .consumers import LabConsumer
from .dashboard import SessionConsumer

websocket_urlpatterns = [
    path("ws/labs/<int:lab>/", LabConsumer.as_asgi()),
    path("ws/training/<int:session>/", SessionConsumer.as_asgi()),
]
