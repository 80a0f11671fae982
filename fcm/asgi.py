"""ASGI entry point (daphne fcm.asgi:application): the application is built by the composition root."""
from fcm.server.asgi import application  # noqa: F401  (ASGI_APPLICATION and daphne name it here)
