"""`is_trainer` in every template (evaluated only where a template asks: the File menus)."""
from django.utils.functional import SimpleLazyObject

from .access import is_trainer


def trainer(request):
    return {"is_trainer": SimpleLazyObject(lambda: is_trainer(request.user))}
