"""`is_trainer` in every template (evaluated only where a template asks: the File menus)."""
from django.utils.functional import SimpleLazyObject


def trainer(request):
    from .views import is_trainer
    return {"is_trainer": SimpleLazyObject(lambda: is_trainer(request.user))}
