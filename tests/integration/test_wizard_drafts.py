"""Wizard drafts: one open run per user, lab and wizard; abandoned ones go after a day."""
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from fcm.wizards.models import DRAFT_LIFETIME, WizardDraft

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}


def start(client, lab, kind="validate"):
    response = client.post(reverse("wizards:start", args=[lab.pk, kind]), {"action": "next"}, headers=HX)
    assert response.status_code == 200
    return WizardDraft.objects.open().get(lab=lab, kind=kind, user=response.wsgi_request.user)


def test_pressing_next_on_a_start_page_again_and_again_keeps_one_draft(owner_client, owner, r2_lab):
    drafts = [start(owner_client, r2_lab) for _ in range(20)]
    assert WizardDraft.objects.filter(lab=r2_lab, user=owner).count() == 1
    assert WizardDraft.objects.get().pk == drafts[-1].pk
    # Another wizard is another run.
    start(owner_client, r2_lab, "create-cluster")
    assert WizardDraft.objects.filter(lab=r2_lab, user=owner).count() == 2


def test_a_replaced_run_says_so_where_its_dialog_was(owner_client, r2_lab):
    first = start(owner_client, r2_lab)
    start(owner_client, r2_lab)
    response = owner_client.post(reverse("wizards:draft", args=[r2_lab.pk, first.pk]), {"action": "next"},
                                 headers=HX)
    assert response.status_code == 404
    assert "started again in another window" in response.content.decode()


def test_another_users_run_is_their_own(owner_client, client, other_user, r2_lab):
    r2_lab.members.add(other_user)
    mine = start(owner_client, r2_lab)
    client.force_login(other_user)
    start(client, r2_lab)
    assert WizardDraft.objects.open().filter(lab=r2_lab).count() == 2
    assert WizardDraft.objects.filter(pk=mine.pk).exists()


def test_drafts_untouched_for_a_day_go_at_the_users_next_start(owner_client, owner, r2_lab, lab_2008):
    old = start(owner_client, lab_2008, "create-cluster")
    WizardDraft.objects.filter(pk=old.pk).update(updated_at=timezone.now() - DRAFT_LIFETIME - timedelta(minutes=1))
    recent = start(owner_client, lab_2008, "validate")
    start(owner_client, r2_lab)
    assert not WizardDraft.objects.filter(pk=old.pk).exists()
    assert WizardDraft.objects.filter(pk=recent.pk).exists()


def test_the_database_keeps_one_open_draft_per_wizard(owner, r2_lab):
    WizardDraft.objects.create(lab=r2_lab, user=owner, kind="validate", step="servers")
    WizardDraft.objects.create(lab=r2_lab, user=owner, kind="validate", step="servers", cancelled=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        WizardDraft.objects.create(lab=r2_lab, user=owner, kind="validate", step="servers")
