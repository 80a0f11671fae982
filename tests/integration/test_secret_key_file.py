"""The secret key generated into var/ is the owner's alone from its first byte, and generated once."""
import os
import stat

from fcm import settings as fcm_settings


def test_the_key_file_is_created_0600_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    old = os.umask(0)  # the most permissive umask: the mode must come from the file's creation, not from it
    try:
        key = fcm_settings._secret_key(tmp_path / "var")
    finally:
        os.umask(old)
    path = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 50 and path.read_text() == key
    assert fcm_settings._secret_key(tmp_path / "var") == key
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary file left behind


def test_a_key_already_there_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("kept-key\n")
    assert fcm_settings._secret_key(tmp_path) == "kept-key"


def test_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert fcm_settings._secret_key(tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()
