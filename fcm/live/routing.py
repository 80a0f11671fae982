from django.urls import path

from fcm.training.consumers import SessionConsumer

from .consumers import LabConsumer

websocket_urlpatterns = [
    path("ws/labs/<int:lab>/", LabConsumer.as_asgi()),
    path("ws/training/<int:session>/", SessionConsumer.as_asgi()),
]
