"""Where access changes, the open sockets hear of it: the receivers that call fcm/live/revoke.py.

Connected in this app's `ready()`: live sits above inventory, engine and training, so it listens to
their models and signals instead of them calling up. Each receiver only names who and what; the
message leaves after the commit (revoke.py) and the socket decides (fcm/live/sockets.py).
"""
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from fcm.inventory.models import Lab
from fcm.training.signals import lab_replacing, session_ended

from . import revoke


@receiver(user_logged_out, dispatch_uid="fcm.live.signed_out")
def signed_out(sender, request, user, **kwargs):
    """Signing out closes that sign-in session's sockets (the user's other browsers stay signed in)."""
    if user is not None and getattr(request, "session", None) is not None:
        revoke.close_user(user.pk, revoke.SIGNED_OUT, session_key=request.session.session_key)


@receiver(post_delete, sender=Session, dispatch_uid="fcm.live.session_deleted")
def session_deleted(sender, instance, **kwargs):
    """A sign-in session deleted any way (signed out, `clearsessions`, an administrator) closes its sockets."""
    user_id = instance.get_decoded().get("_auth_user_id")
    if user_id:
        revoke.close_user(user_id, revoke.SESSION_ENDED, session_key=instance.session_key)


@receiver(m2m_changed, sender=Lab.members.through, dispatch_uid="fcm.live.members_changed")
def members_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Someone removed from a lab's members: their sockets on it check again (they may see it otherwise)."""
    if action == "pre_clear":
        related = instance.shared_labs if reverse else instance.members
        instance._fcm_cleared = set(related.values_list("pk", flat=True))
        return
    if action == "post_remove":
        removed = pk_set or set()
    elif action == "post_clear":
        removed = getattr(instance, "_fcm_cleared", set())
    else:
        return
    for other in removed:
        user_id, lab_id = (instance.pk, other) if reverse else (other, instance.pk)
        revoke.recheck_user(user_id, lab_id)


@receiver(pre_save, sender=Lab, dispatch_uid="fcm.live.owner_changing")
def owner_changing(sender, instance, update_fields=None, **kwargs):
    instance._fcm_old_owner = None
    if instance.pk is None or (update_fields is not None and "owner" not in update_fields):
        return
    old = Lab.objects.filter(pk=instance.pk).values_list("owner_id", flat=True).first()
    if old is not None and old != instance.owner_id:
        instance._fcm_old_owner = old


@receiver(post_save, sender=Lab, dispatch_uid="fcm.live.owner_changed")
def owner_changed(sender, instance, **kwargs):
    """A lab given to someone else: its former owner's sockets on it check again."""
    old = getattr(instance, "_fcm_old_owner", None)
    if old is not None:
        revoke.recheck_user(old, instance.pk)


@receiver(lab_replacing, dispatch_uid="fcm.live.lab_replacing")
def lab_replacing_(sender, lab_id, **kwargs):
    """A reset: the lab about to be removed is replaced; its consoles get the reset notice, not a close."""
    revoke.spare_lab(lab_id)


@receiver(post_delete, sender=Lab, dispatch_uid="fcm.live.lab_removed")
def lab_removed(sender, instance, **kwargs):
    if not revoke.spared(instance.pk):
        revoke.close_lab(instance.pk, revoke.LAB_REMOVED)


@receiver(session_ended, dispatch_uid="fcm.live.training_ended")
def training_ended(sender, session, trainee_user_ids, **kwargs):
    """The end of a training session closes its trainees' sockets (their labs are read-only from now on)."""
    for user_id in trainee_user_ids:
        revoke.close_user(user_id, revoke.TRAINING_ENDED)


@receiver(post_save, sender=get_user_model(), dispatch_uid="fcm.live.user_deactivated")
def user_deactivated(sender, instance, created, **kwargs):
    if not created and not instance.is_active:
        revoke.close_user(instance.pk, revoke.SESSION_ENDED)


@receiver(post_delete, sender=get_user_model(), dispatch_uid="fcm.live.user_removed")
def user_removed(sender, instance, **kwargs):
    revoke.close_user(instance.pk, revoke.SESSION_ENDED)
