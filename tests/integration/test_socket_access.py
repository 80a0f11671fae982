"""Open sockets follow access: they close when their user signs out, loses the lab, or the lab goes.

Each test asserts that the socket receives its close (code and reason), never how soon: the bench
(bench/close.py) times it. A socket that should stay open proves it by still receiving a fragment.
"""
import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from fcm.asgi import application
from fcm.engine.commands import labs
from fcm.inventory.models import Lab
from fcm.live import expiry, revoke
from fcm.live.groups import lab_group
from fcm.live.sockets import access_closed_message
from fcm.training import classroom
from fcm.training.grading import session_group
from fcm.training.models import TRAINERS_GROUP

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ORIGIN = b"http://127.0.0.1:8000"


def _signed_in(user):
    """A browser signed in as `user`: its Client and its session key."""
    client = Client()
    client.force_login(user)
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


@sync_to_async
def _people():
    User = get_user_model()
    owner = User.objects.create_user("owner")
    member = User.objects.create_user("member")
    lab = Lab.objects.create(name="Shared", owner=owner)
    lab.members.add(member)
    return lab, owner, member


def _socket(path, session, origin=ORIGIN, host=b"127.0.0.1:8000", extra=()):
    headers = [(b"origin", origin), (b"host", host), *extra]
    if session:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def _open(path, session):
    ws = _socket(path, session)
    connected, _ = await ws.connect()
    assert connected
    if path.startswith("/ws/labs/"):
        assert 'id="lab-sync"' in await ws.receive_from()
    return ws


async def _closed(ws, reason, next_url=None):
    said, closed = await ws.receive_output(5), await ws.receive_output(5)
    await ws.disconnect()
    return said == {"type": "websocket.send", "text": access_closed_message(reason, next_url)} and \
        closed == {"type": "websocket.close", "code": revoke.CLOSED_FOR_ACCESS, "reason": reason}


async def _still_open(ws, lab_id):
    await get_channel_layer().group_send(lab_group(lab_id), {"type": "lab.fragment", "html": "<b>still</b>"})
    return await ws.receive_from(5) == "<b>still</b>"


async def test_signing_out_closes_that_sign_in_sessions_sockets_only():
    lab, owner, member = await _people()
    here, here_key = await sync_to_async(_signed_in)(owner)
    _, elsewhere_key = await sync_to_async(_signed_in)(owner)
    console, other_tab = await _open(f"/ws/labs/{lab.pk}/", here_key), await _open(f"/ws/labs/{lab.pk}/", here_key)
    other_browser = await _open(f"/ws/labs/{lab.pk}/", elsewhere_key)
    response = await sync_to_async(here.post)("/accounts/logout/")
    assert response.status_code == 302
    assert await _closed(console, revoke.SIGNED_OUT)
    assert await _closed(other_tab, revoke.SIGNED_OUT)
    assert await _still_open(other_browser, lab.pk)
    await other_browser.disconnect()


@pytest.mark.parametrize("how", ["remove", "reverse", "clear", "set"])
async def test_removal_from_the_members_closes_the_members_sockets_on_that_lab(how):
    lab, owner, member = await _people()
    other = await sync_to_async(Lab.objects.create)(name="Also shared", owner=owner)
    await sync_to_async(other.members.add)(member)
    _, member_key = await sync_to_async(_signed_in)(member)
    _, owner_key = await sync_to_async(_signed_in)(owner)
    on_lab, on_other = await _open(f"/ws/labs/{lab.pk}/", member_key), await _open(f"/ws/labs/{other.pk}/", member_key)
    owners = await _open(f"/ws/labs/{lab.pk}/", owner_key)

    def remove():
        if how == "remove":
            lab.members.remove(member)
        elif how == "reverse":
            member.shared_labs.remove(lab)
        elif how == "clear":
            lab.members.clear()
        else:  # the admin's form saves the list it was given
            lab.members.set([])
    await sync_to_async(remove)()
    assert await _closed(on_lab, revoke.NO_ACCESS)
    assert await _still_open(on_other, other.pk)
    assert await _still_open(owners, lab.pk)
    for ws in (on_other, owners):
        await ws.disconnect()


async def test_a_removed_member_who_still_sees_the_lab_keeps_the_socket():
    lab, owner, member = await _people()
    await sync_to_async(get_user_model().objects.filter(pk=member.pk).update)(is_superuser=True)
    _, member_key = await sync_to_async(_signed_in)(member)
    ws = await _open(f"/ws/labs/{lab.pk}/", member_key)
    await sync_to_async(lab.members.remove)(member)
    assert await _still_open(ws, lab.pk)  # an administrator sees every lab
    await ws.disconnect()


async def test_a_lab_given_to_someone_else_closes_its_former_owners_socket():
    lab, owner, member = await _people()
    _, owner_key = await sync_to_async(_signed_in)(owner)
    ws = await _open(f"/ws/labs/{lab.pk}/", owner_key)

    def give():
        lab.members.remove(member)
        lab.owner = member
        lab.save()
    await sync_to_async(give)()
    assert await _closed(ws, revoke.NO_ACCESS)


async def test_a_lab_removed_closes_every_socket_on_it():
    lab, owner, member = await _people()
    _, owner_key = await sync_to_async(_signed_in)(owner)
    _, member_key = await sync_to_async(_signed_in)(member)
    sockets = [await _open(f"/ws/labs/{lab.pk}/", owner_key), await _open(f"/ws/labs/{lab.pk}/", member_key)]
    assert await sync_to_async(labs.remove_lab)(lab.pk)
    for ws in sockets:
        assert await _closed(ws, revoke.LAB_REMOVED, next_url="/")  # the list of labs: a reload would be a 404


async def test_a_session_deleted_elsewhere_closes_its_sockets():
    """An administrator deleting it, `clearsessions`, a flush: anything that deletes the row."""
    lab, owner, member = await _people()
    _, owner_key = await sync_to_async(_signed_in)(owner)
    _, member_key = await sync_to_async(_signed_in)(member)
    owners, members = await _open(f"/ws/labs/{lab.pk}/", owner_key), await _open(f"/ws/labs/{lab.pk}/", member_key)
    await sync_to_async(Session.objects.filter(session_key=owner_key).delete)()
    assert await _closed(owners, revoke.SESSION_ENDED)
    assert await _still_open(members, lab.pk)
    # clearsessions deletes the sessions that have run out.
    await sync_to_async(Session.objects.filter(session_key=member_key).update)(expire_date="2000-01-01T00:00Z")
    await sync_to_async(call_command)("clearsessions")
    assert await _closed(members, revoke.SESSION_ENDED)


async def test_a_session_that_runs_out_closes_its_sockets_on_the_next_pass():
    lab, owner, member = await _people()
    _, owner_key = await sync_to_async(_signed_in)(owner)
    _, member_key = await sync_to_async(_signed_in)(member)
    owners, members = await _open(f"/ws/labs/{lab.pk}/", owner_key), await _open(f"/ws/labs/{lab.pk}/", member_key)
    expires = await sync_to_async(lambda: Session.objects.get(session_key=owner_key).expire_date)()
    assert await expiry.close_expired(now=expires.timestamp() - 1) == 0  # not yet: nothing read, nothing closed
    # The member's session was kept alive meanwhile (a page saved it): checked again, it stays open.
    later = expires.replace(year=expires.year + 1)
    await sync_to_async(Session.objects.filter(session_key=member_key).update)(expire_date=later)
    assert await expiry.close_expired(now=expires.timestamp() + 1) == 1
    assert await _closed(owners, revoke.SESSION_ENDED)
    assert await _still_open(members, lab.pk)
    assert await expiry.close_expired(now=expires.timestamp() + 2) == 0  # its expiry moved on: not read again
    await members.disconnect()


async def test_a_deactivated_user_loses_their_sockets():
    lab, owner, member = await _people()
    _, member_key = await sync_to_async(_signed_in)(member)
    ws = await _open(f"/ws/labs/{lab.pk}/", member_key)
    member.is_active = False
    await sync_to_async(member.save)()
    assert await _closed(ws, revoke.SESSION_ENDED)


@sync_to_async
def _class():
    trainer = get_user_model().objects.create_user("trainer")
    trainer.groups.add(Group.objects.get_or_create(name=TRAINERS_GROUP)[0])
    session = classroom.start_session(trainer, "quick-migration-2008")
    ann = classroom.join(session, "Ann")
    ann_client = Client()
    ann_client.force_login(ann.user)
    return session, trainer, ann, ann_client.cookies[settings.SESSION_COOKIE_NAME].value


async def test_the_end_of_a_training_session_closes_its_trainees_sockets():
    session, trainer, ann, ann_key = await _class()
    _, trainer_key = await sync_to_async(_signed_in)(trainer)
    own_lab = await _open(f"/ws/labs/{ann.lab_id}/", ann_key)
    following = await _open(f"/ws/labs/{session.demo_lab_id}/", ann_key)
    dashboard = await _open(f"/ws/training/{session.pk}/", trainer_key)
    over_the_shoulder = await _open(f"/ws/labs/{ann.lab_id}/", trainer_key)
    await sync_to_async(classroom.end)(session)
    assert await _closed(own_lab, revoke.TRAINING_ENDED)
    assert await _closed(following, revoke.TRAINING_ENDED)
    assert await _still_open(over_the_shoulder, ann.lab_id)  # the trainer reviews the labs kept
    await get_channel_layer().group_send(session_group(session.pk), {"type": "lab.fragment", "html": "<i>row</i>"})
    assert await dashboard.receive_from(5) == "<i>row</i>"  # the trainer's dashboard stays
    for ws in (dashboard, over_the_shoulder):
        await ws.disconnect()


async def test_a_reset_keeps_the_trainees_console_open_for_the_notice_that_leads_to_the_new_lab():
    """A reset removes the trainee's lab, but as a replacement: no close (the reset notice, pushed to the old
    lab's consoles by the engine, names the way to the new lab); removing a lab otherwise still closes."""
    session, trainer, ann, ann_key = await _class()
    console = await _open(f"/ws/labs/{ann.lab_id}/", ann_key)
    old_lab = ann.lab_id
    await sync_to_async(classroom.reset)(ann)
    assert await _still_open(console, old_lab)
    await console.disconnect()
    assert not revoke.spared(old_lab)  # spared once, for that removal only


async def test_the_dashboard_closes_when_its_trainer_signs_out():
    session, trainer, ann, ann_key = await _class()
    client, trainer_key = await sync_to_async(_signed_in)(trainer)
    dashboard = await _open(f"/ws/training/{session.pk}/", trainer_key)
    await sync_to_async(client.post)("/accounts/logout/")
    assert await _closed(dashboard, revoke.SIGNED_OUT)


# -- the Origin: scheme, host and port of this site's own pages ---------------------------------------------

@pytest.fixture
async def owners_socket():
    """`owners_socket(origin=..., host=..., extra=...)`: whether the owner's socket on their lab opens."""
    lab, owner, member = await _people()
    _, owner_key = await sync_to_async(_signed_in)(owner)

    async def accepted(**kwargs):
        ws = _socket(f"/ws/labs/{lab.pk}/", owner_key, **kwargs)
        connected, _ = await ws.connect()
        await ws.disconnect()
        return connected
    return accepted


@pytest.mark.parametrize("origin", [
    b"http://127.0.0.1:8001",      # another port of the same name
    b"https://127.0.0.1:8000",     # another scheme
    b"http://127.0.0.1",           # the default port, 80
    b"http://localhost:8000",      # another allowed name than the page's
    b"http://evil.example:8000",
    b"null", b"", b"http://127.0.0.1:99999", b"ftp://127.0.0.1:8000",
])
async def test_an_origin_that_differs_in_scheme_host_or_port_is_refused(owners_socket, origin):
    assert not await owners_socket(origin=origin)


async def test_the_pages_own_origin_is_accepted_on_any_port(owners_socket):
    assert await owners_socket()
    assert await owners_socket(origin=b"http://localhost:49152", host=b"localhost:49152")  # a test server's port
    assert await owners_socket(origin=b"http://[::1]:8000", host=b"[::1]:8000")


async def test_a_host_not_allowed_is_refused_even_when_the_origin_matches_it(owners_socket):
    assert not await owners_socket(origin=b"http://evil.example:8000", host=b"evil.example:8000")


async def test_behind_tls_the_proxys_scheme_counts(owners_socket, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    tls = [(b"x-forwarded-proto", b"https")]
    assert await owners_socket(origin=b"https://fcm.example.org", host=b"fcm.example.org", extra=tls) is False  # host
    settings.ALLOWED_HOSTS = ["fcm.example.org"]
    assert await owners_socket(origin=b"https://fcm.example.org", host=b"fcm.example.org", extra=tls)
    assert not await owners_socket(origin=b"http://fcm.example.org", host=b"fcm.example.org", extra=tls)
    assert not await owners_socket(origin=b"https://fcm.example.org", host=b"fcm.example.org")  # plain, no header


async def test_listed_origins_are_accepted(owners_socket, settings):
    settings.FCM_ALLOWED_ORIGINS = ["https://fcm.example.org"]
    assert await owners_socket(origin=b"https://fcm.example.org", host=b"127.0.0.1:8001")
    assert await owners_socket(origin=b"https://FCM.example.org:443", host=b"127.0.0.1:8001")
    assert not await owners_socket(origin=b"https://fcm.example.org:8443", host=b"127.0.0.1:8001")
