"""The lab socket: origin-checked, session-authenticated, lab-scoped."""
import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from fcm.asgi import application
from fcm.engine import labfile
from fcm.live.groups import lab_group
from fcm.live.revoke import CLOSED_FOR_ACCESS, NO_ACCESS
from fcm.live.sockets import access_closed_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@sync_to_async
def _setup():
    User = get_user_model()
    owner = User.objects.create_user("owner", password="correct-horse-9")
    stranger = User.objects.create_user("stranger", password="correct-horse-9")
    lab = labfile.load(labfile.lab_path("live-migration-2008r2"), owner)
    cookies = {}
    for user in (owner, stranger):
        c = Client()
        c.force_login(user)
        cookies[user.username] = c.cookies[settings.SESSION_COOKIE_NAME].value
    return lab, cookies


def _socket(lab_id, session=None, origin=b"http://127.0.0.1:8000"):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1:8000")]
    if session:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return WebsocketCommunicator(application, f"/ws/labs/{lab_id}/", headers=headers)


async def test_owner_receives_lab_fragments():
    lab, cookies = await _setup()
    ws = _socket(lab.pk, cookies["owner"])
    connected, _ = await ws.connect()
    assert connected
    assert 'id="lab-sync"' in await ws.receive_from()  # when the lab last changed, for the page to compare
    await get_channel_layer().group_send(lab_group(lab.pk), {"type": "lab.fragment", "html": "<b>hi</b>"})
    assert await ws.receive_from() == "<b>hi</b>"
    await ws.disconnect()


async def _refused(ws):
    """Accepted, then closed for access at once (so the browser shows why instead of reconnecting)."""
    connected, _ = await ws.connect()
    assert connected
    said, closed = await ws.receive_output(2), await ws.receive_output(2)
    await ws.disconnect()
    return said == {"type": "websocket.send", "text": access_closed_message(NO_ACCESS)} and \
        closed == {"type": "websocket.close", "code": CLOSED_FOR_ACCESS, "reason": NO_ACCESS}


async def test_stranger_anonymous_and_foreign_origin_are_refused():
    lab, cookies = await _setup()
    for ws in (_socket(lab.pk, cookies["stranger"]), _socket(lab.pk)):
        assert await _refused(ws)
    ws = _socket(lab.pk, cookies["owner"], origin=b"http://evil.example")
    connected, _ = await ws.connect()  # another site's page: the handshake itself is refused
    assert not connected
    await ws.disconnect()


async def test_the_embedded_engine_pushes_to_local_consoles_directly():
    from fcm.live.groups import LOCAL
    from fcm.live.push import push
    lab, cookies = await _setup()
    ws = _socket(lab.pk, cookies["owner"])
    assert (await ws.connect())[0]
    assert len(LOCAL[lab.pk]) == 1
    await ws.receive_from()  # lab-sync
    await push(lab.pk, '<span id="x" hx-swap-oob="true">1</span>')
    assert await ws.receive_from() == '<span id="x" hx-swap-oob="true">1</span>'
    await ws.disconnect()
    assert not LOCAL[lab.pk]


async def test_the_first_message_says_when_the_lab_last_changed():
    from django.utils import timezone

    from fcm.inventory.models import Lab
    lab, cookies = await _setup()
    when = timezone.now()
    await sync_to_async(Lab.objects.filter(pk=lab.pk).update)(changed_at=when)
    ws = _socket(lab.pk, cookies["owner"])
    assert (await ws.connect())[0]
    assert f'data-changed="{when.timestamp():.3f}"' in await ws.receive_from()
    await ws.disconnect()


@sync_to_async
def _class():
    from django.contrib.auth.models import Group

    from fcm.training import classroom
    from fcm.training.models import TRAINERS_GROUP
    User = get_user_model()
    trainer = User.objects.create_user("trainer", password="correct-horse-9")
    trainer.groups.add(Group.objects.get_or_create(name=TRAINERS_GROUP)[0])
    session = classroom.start_session(trainer, "quick-migration-2008")
    ann, bob = classroom.join(session, "Ann"), classroom.join(session, "Bob")
    cookies = {}
    for user in (trainer, ann.user, bob.user):
        c = Client()
        c.force_login(user)
        cookies[user.pk] = c.cookies[settings.SESSION_COOKIE_NAME].value
    return session, trainer, ann, bob, cookies


async def test_training_sockets_keep_trainees_apart():
    session, trainer, ann, bob, cookies = await _class()

    async def opens(path, user):
        ws = WebsocketCommunicator(application, path, headers=[
            (b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookies[user.pk]}".encode())])
        connected, _ = await ws.connect()
        stays = connected and await ws.receive_nothing(0.2) if "training" in path else \
            'id="lab-sync"' in str(await ws.receive_output(2))
        await ws.disconnect()
        return stays

    assert await opens(f"/ws/labs/{ann.lab_id}/", ann.user)
    assert await opens(f"/ws/labs/{session.demo_lab_id}/", ann.user)  # follow mode
    assert not await opens(f"/ws/labs/{bob.lab_id}/", ann.user)
    assert not await opens(f"/ws/training/{session.pk}/", ann.user)  # never the trainer's dashboard
    assert await opens(f"/ws/training/{session.pk}/", trainer)
    assert await opens(f"/ws/labs/{bob.lab_id}/", trainer)  # over the shoulder


async def test_malformed_and_oversized_frames_neither_crash_a_consumer_nor_touch_others():
    lab, cookies = await _setup()
    noisy, quiet = _socket(lab.pk, cookies["owner"]), _socket(lab.pk, cookies["owner"])
    for ws in (noisy, quiet):
        assert (await ws.connect())[0]
        await ws.receive_from()  # lab-sync
    for frame in (" ", "{not json", "<script>alert(1)</script>", "\udcff".encode("utf-8", "surrogatepass").decode(
            "utf-8", "replace"), "x" * (4 * 1024 * 1024)):
        await noisy.send_to(text_data=frame)
    await noisy.send_to(bytes_data=b"\x00\xff" * 100_000)
    await get_channel_layer().group_send(lab_group(lab.pk), {"type": "lab.fragment", "html": "<b>still here</b>"})
    assert await quiet.receive_from() == "<b>still here</b>"
    assert await noisy.receive_from() == "<b>still here</b>"
    # A message of a type no consumer knows (another version of the product on the same layer) is dropped.
    await get_channel_layer().group_send(lab_group(lab.pk), {"type": "lab.something.new", "html": "?"})
    await get_channel_layer().group_send(lab_group(lab.pk), {"type": "lab.fragment", "html": "<i>again</i>"})
    assert await noisy.receive_from() == "<i>again</i>"
    for ws in (noisy, quiet):
        await ws.disconnect()


async def test_consoles_reconnect_once_the_channel_layer_is_back():
    """Redis down, then back: the watchdog closes this process's consoles with 1012 so they list themselves again."""
    import asyncio

    from channels.layers import InMemoryChannelLayer

    from fcm.live import watchdog

    class FlakyLayer(InMemoryChannelLayer):
        """Counts the watchdog's pings, so the test waits for them instead of guessing how long they take."""
        down = False
        sent = failed = 0

        async def send(self, channel, message):
            if self.down:
                self.failed += 1
                raise ConnectionError("Redis went away")
            self.sent += 1
            await super().send(channel, message)

    async def until(condition):
        for _ in range(2000):  # a bound, not a duration: the watchdog pings every 0.05 s
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the watchdog stopped pinging")

    lab, cookies = await _setup()
    ws = _socket(lab.pk, cookies["owner"])
    assert (await ws.connect())[0]
    await ws.receive_from()  # lab-sync
    layer = FlakyLayer()
    # Patience far above the test's pace: a ping on a busy machine is never taken for a lost layer.
    task = asyncio.ensure_future(watchdog.watch(layer, period=0.05, patience=60))
    try:
        await until(lambda: layer.sent >= 3)
        assert await ws.receive_nothing(0.1)  # up: nothing happens
        layer.down = True
        await until(lambda: layer.failed >= 2)
        assert await ws.receive_nothing(0.1)  # down: the socket stays open (nothing to resync from yet)
        layer.down = False
        closed = await ws.receive_output(10)
        assert closed == {"type": "websocket.close", "code": watchdog.SERVICE_RESTART}
    finally:
        task.cancel()
        await ws.disconnect()
