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


@pytest.mark.parametrize("model, field, value, message", [
    (models.Lab, "speed", "1e300", "less than or equal to 60"),
    (models.Lab, "speed", "-2", "greater than or equal to 0"),
    (models.Disk, "size_bytes", str(10**17), "less than or equal to 70368744177664"),
    (models.VirtualMachine, "memory_mb", "0", "greater than or equal to 1"),
    (models.WanLink, "bandwidth_mbps", "999999999", "less than or equal to 400000"),
])
def test_the_admin_refuses_numbers_out_of_range_at_the_field(client, replica_lab, model, field, value, message):
    """The fields' ranges are the model's, so the administration's forms refuse them too, and change nothing."""
    root = get_user_model().objects.create_superuser("root", password="x-very-long-pass")
    client.force_login(root)
    obj = model.objects.order_by("pk").first()
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    form = client.get(url).context["adminform"].form
    data = {name: bound.value() for name, bound in ((n, form[n]) for n in form.fields)}
    data = {k: ("" if v is None else v) for k, v in data.items() if not isinstance(v, list) or v}
    before = getattr(obj, field)
    response = client.post(url, {**data, field: value})
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors.get(field))
    obj.refresh_from_db()
    assert getattr(obj, field) == before
