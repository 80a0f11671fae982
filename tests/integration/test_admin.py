import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from fcm.inventory import models

pytestmark = pytest.mark.django_db


def test_admin_lists_and_edits_every_inventory_model(client, r2_lab, replica_lab):
    root = get_user_model().objects.create_superuser("root", password="x-very-long-pass")
    client.force_login(root)
    for name in models.__all__:
        model = getattr(models, name)
        if model is models.LoginToken:
            continue
        assert admin.site.is_registered(model), name
        opts = model._meta
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
        obj = model.objects.first()
        if obj is not None:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(url).status_code == 200, name
