"""A class's size and its lock: seats, refusals at the join page, what the trainer sees, join codes."""
import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from fcm.engine.models import Outbox
from fcm.inventory.models import Lab
from fcm.training import classroom
from fcm.training.grading import session_group
from fcm.training.models import (
    CODE_ALPHABET, CODE_LENGTH, TRAINERS_GROUP, AuditEntry, JoinRefusal, Trainee, TrainingSession, new_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer_client(trainer):
    client = Client()
    client.force_login(trainer)
    return client


def _join(client, session, name, code=None):
    return client.post(reverse("training:join"), {"code": code or session.code, "name": name})


def _action(client, session, action, data=None):
    return client.post(reverse("training:action", args=[session.pk, action]), data or {})


def _nothing_created(before):
    return (Lab.objects.count(), Trainee.objects.count(), get_user_model().objects.count()) == before


def _counts():
    return Lab.objects.count(), Trainee.objects.count(), get_user_model().objects.count()


def test_join_codes_have_eight_characters_that_read_aloud_without_doubt():
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500 and CODE_LENGTH == 8
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("0O1IL") & set("".join(codes))


def test_the_trainer_sets_the_class_size_when_starting_and_bad_sizes_are_refused_at_the_field(trainer_client):
    url = reverse("training:sessions")
    for bad, message in (("0", "from 1 to 500"), ("501", "from 1 to 500"), ("abc", "whole number"),
                         ("-3", "from 1 to 500"), ("1e3", "whole number"), ("9" * 40, "from 1 to 500")):
        r = trainer_client.post(url, {"scenario": "quick-migration-2008", "class_size": bad})
        assert r.status_code == 200 and message in r.content.decode(), bad
    assert not TrainingSession.objects.exists()
    trainer_client.post(url, {"scenario": "quick-migration-2008", "class_size": "12"})
    trainer_client.post(url, {"scenario": "quick-migration-2008"})
    assert sorted(TrainingSession.objects.values_list("class_size", flat=True)) == [12, 40]


def test_the_class_size_is_kept_in_range_by_the_model_and_the_database(trainer):
    session = classroom.start_session(trainer, "quick-migration-2008")
    for bad in (0, 501):
        session.class_size = bad
        with pytest.raises(ValidationError):
            session.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingSession.objects.filter(pk=session.pk).update(class_size=0)
    with pytest.raises(classroom.ClassroomError):
        classroom.start_session(trainer, "quick-migration-2008", class_size=501)


def test_a_full_class_tells_the_joiner_and_creates_nothing(trainer, trainer_client):
    session = classroom.start_session(trainer, "quick-migration-2008", class_size=2)
    classroom.join(session, "Ann")
    classroom.join(session, "Bob")
    before = _counts()
    r = _join(Client(REMOTE_ADDR="10.1.2.3"), session, "Cid")
    page = r.content.decode()
    assert r.status_code == 200 and "This class is full (2 of 2)." in page and 'id="code-error"' in page
    assert _nothing_created(before)
    dashboard = trainer_client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert "<strong>2 of 2</strong> joined" in dashboard and "the class is full" in dashboard
    assert "1 join attempt refused" in dashboard and "10.1.2.3" in dashboard and "Class full" in dashboard
    # Room made: the next joiner gets in.
    assert _action(trainer_client, session, "class-size", {"class_size": "3"}).status_code == 200
    assert _join(Client(), session, "Cid").status_code == 302


def test_lock_and_reopen_joining(trainer, trainer_client):
    session = classroom.start_session(trainer, "quick-migration-2008")
    forged = Client(enforce_csrf_checks=True)  # a form on another site, posting with the trainer's cookie
    forged.force_login(trainer)
    assert _action(forged, session, "lock").status_code == 403
    session.refresh_from_db()
    assert not session.joining_locked
    r = _action(trainer_client, session, "lock")
    assert "Joining is locked" in r.content.decode() and "Reopen joining" in r.content.decode()
    session.refresh_from_db()
    assert session.joining_locked
    before = _counts()
    r = _join(Client(), session, "Ann")
    assert "The trainer has locked joining." in r.content.decode() and _nothing_created(before)
    r = _action(trainer_client, session, "reopen")
    assert "Joining is open again" in r.content.decode()
    assert _join(Client(), session, "Ann").status_code == 302
    actions = list(AuditEntry.objects.filter(session=session).values_list("action", flat=True))
    assert "lock joining" in actions and "reopen joining" in actions
    # A trainee may not lock a class, nor may another trainer (404: sessions do not leak).
    ann = Trainee.objects.get(display_name="Ann")
    other = Client()
    other.force_login(ann.user)
    assert _action(other, session, "lock").status_code == 403
    stranger = get_user_model().objects.create_user("stranger", password="correct-horse-9")
    stranger.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    other.force_login(stranger)
    assert _action(other, session, "lock").status_code == 404
    session.refresh_from_db()
    assert not session.joining_locked


def test_changing_the_class_size_while_it_runs(trainer, trainer_client):
    session = classroom.start_session(trainer, "quick-migration-2008")
    classroom.join(session, "Ann")
    classroom.join(session, "Bob")
    for bad, message in (("0", "from 1 to 500"), ("abc", "whole number"), ("", "how many trainees"),
                         ("501", "from 1 to 500"), ("1", "2 trainees have joined")):
        r = _action(trainer_client, session, "class-size", {"class_size": bad})
        assert r.status_code == 200 and message in r.content.decode(), bad
        session.refresh_from_db()
        assert session.class_size == 40
    r = _action(trainer_client, session, "class-size", {"class_size": "2"})
    assert "The class takes 2 trainees." in r.content.decode()
    session.refresh_from_db()
    assert session.class_size == 2
    classroom.end(session)
    assert "This session has ended" in _action(trainer_client, session, "class-size",
                                               {"class_size": "9"}).content.decode()
    assert "This session has ended" in _action(trainer_client, session, "reopen").content.decode()


def test_locking_is_pushed_to_the_dashboard(trainer, trainer_client, make_runner):
    session = classroom.start_session(trainer, "quick-migration-2008")
    make_runner().tick()  # what starting the session marked
    _action(trainer_client, session, "lock")
    assert Outbox.objects.filter(lab_id=session.demo_lab_id).exists()
    pushed = make_runner().tick()[session_group(session.pk)]
    assert 'id="class-joining"' in pushed and 'hx-swap-oob="true"' in pushed
    assert "joining is locked" in pushed and "Reopen joining" in pushed
    assert "csrfmiddlewaretoken" not in pushed  # the page's htmx header carries the token


def test_a_trainee_joining_updates_the_seats_on_the_dashboard(trainer, make_runner):
    session = classroom.start_session(trainer, "quick-migration-2008", class_size=3)
    make_runner().tick()
    classroom.join(session, "Ann")
    pushed = make_runner().tick()[session_group(session.pk)]
    assert "<strong>1 of 3</strong> joined" in pushed and 'id="trainees"' in pushed


def test_refused_attempts_reach_the_trainer_escaped_and_only_the_last_few_are_kept(trainer, trainer_client):
    session = classroom.start_session(trainer, "quick-migration-2008")
    near = session.code[:6] + "<>"  # two characters off: a misread code, shown to this class's trainer
    far = "".join("Z" if c != "Z" else "Y" for c in session.code)
    _join(Client(REMOTE_ADDR="10.0.0.5"), session, "Ann", code=near)
    _join(Client(REMOTE_ADDR="10.0.0.6"), session, "Bob", code=far)
    page = trainer_client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert "1 join attempt refused" in page and "10.0.0.5" in page and "10.0.0.6" not in page
    assert "&lt;&gt;" in page and session.code[:6] + "<>" not in page
    classroom.set_joining(session, locked=True)
    for i in range(JoinRefusal.KEPT + 5):
        _join(Client(REMOTE_ADDR=f"10.0.1.{i}"), session, "Cid")
    session.refresh_from_db()
    assert session.refused_joins == JoinRefusal.KEPT + 6
    assert JoinRefusal.objects.filter(session=session).count() == JoinRefusal.KEPT
    page = trainer_client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert f"{JoinRefusal.KEPT + 6} join attempts refused" in page and "Joining locked" in page
    shown = re.findall(r"10\.0\.1\.(\d+)", page)
    assert shown == [str(i) for i in range(JoinRefusal.KEPT + 4, JoinRefusal.KEPT - 1, -1)]  # newest first


def test_guessing_join_codes_is_limited_per_address_with_room_for_a_class_behind_one_address(client, trainer,
                                                                                              ratelimit_clock):
    session = classroom.start_session(trainer, "quick-migration-2008")
    for i in range(200):  # a class of 40 behind one NAT address may mistype five times each
        r = client.post(reverse("training:join"), {"code": f"WRONG{i:03d}", "name": "Eve"})
        assert r.status_code == 200 and "No session is open with this code" in r.content.decode()
    r = client.post(reverse("training:join"), {"code": session.code, "name": "Eve"})
    seconds = int(re.search(r"Too many attempts: try again in (\d+) s\.", r.content.decode()).group(1))
    assert r.status_code == 429 and 1 <= seconds <= 600 and not Trainee.objects.exists()
    assert _join(Client(REMOTE_ADDR="192.0.2.8"), session, "Eve").status_code == 302  # another address is not
    ratelimit_clock.advance(seconds)
    assert client.post(reverse("training:join"), {"code": session.code, "name": "Fay"}).status_code == 302


def test_a_session_started_with_a_six_character_code_can_still_be_joined(trainer):
    session = classroom.start_session(trainer, "quick-migration-2008")
    TrainingSession.objects.filter(pk=session.pk).update(code="ABCDEF")
    assert _join(Client(), session, "Ann", code="abc def").status_code == 302


def test_a_lab_that_cannot_be_cloned_gives_the_seat_back(trainer, monkeypatch):
    session = classroom.start_session(trainer, "quick-migration-2008", class_size=1)
    before = _counts()

    def broken(trainee):
        raise RuntimeError("the lab file cannot be read")
    monkeypatch.setattr(classroom, "_give_lab", broken)
    with pytest.raises(RuntimeError):
        classroom.join(session, "Ann")
    assert _nothing_created(before)
    monkeypatch.undo()
    assert classroom.join(session, "Ann").lab_id


@pytest.mark.django_db(transaction=True)
def test_two_joiners_racing_for_the_last_seat_one_wins_the_other_is_told_the_class_is_full(trainer, monkeypatch):
    """The first joiner holds the session's row while it takes the seat; the second waits for it, then
    counts the seat as taken."""
    session = classroom.start_session(trainer, "quick-migration-2008", class_size=1)
    taking, release = threading.Event(), threading.Event()
    real_check = classroom._check_seat
    outcome = {}

    def check_then_hold(s):
        real_check(s)
        if threading.current_thread().name == "first":
            taking.set()
            assert release.wait(60)

    monkeypatch.setattr(classroom, "_check_seat", check_then_hold)

    def joiner(name):
        try:
            outcome[name] = classroom.join(session, name).display_name
        except classroom.ClassroomError as exc:
            outcome[name] = str(exc)
        finally:
            connection.close()

    first = threading.Thread(target=joiner, args=("Ann",), name="first")
    second = threading.Thread(target=joiner, args=("Bob",), name="second")
    first.start()
    assert taking.wait(60)
    second.start()
    second.join(timeout=1)
    assert second.is_alive()  # waiting for the session's row, not reading the seats beside the first
    release.set()
    first.join(60)
    second.join(60)
    assert outcome == {"Ann": "Ann", "Bob": "This class is full (1 of 1). Ask your trainer to make room."}
    assert list(Trainee.objects.values_list("display_name", flat=True)) == ["Ann"]
