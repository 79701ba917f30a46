import logging
import subprocess
import sys
from pathlib import Path

import pytest

from c5qa.app.auth import authenticator, hash_password, load_users, secrets, verify
from c5qa.faces.ui import check_exposure
from c5qa.settings import Settings


def test_scrypt_hashes_verify_and_differ_per_salt() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt:") and "correct horse" not in stored
    assert verify(stored, "correct horse")
    assert not verify(stored, "correct hors") and not verify(stored, "")
    assert hash_password("correct horse") != stored  # a fresh salt each time
    assert verify("plain-pw", "plain-pw") and not verify("plain-pw", "plain")
    assert not verify("scrypt:zz:not-hex", "anything")


def test_users_from_setting_and_file(tmp_path: Path) -> None:
    users_file = tmp_path / "users"
    users_file.write_text(f"# team\nbea:{hash_password('bea-password')}\n\ncyd:cyd-plain\n")
    users = load_users(Settings(auth="ann:ann-secret", auth_file=str(users_file)))
    assert set(users) == {"ann", "bea", "cyd"}
    check = authenticator(Settings(auth="ann:ann-secret", auth_file=str(users_file)))
    assert check is not None
    assert check("ann", "ann-secret") and check("bea", "bea-password") and check("cyd", "cyd-plain")
    assert not check("bea", "ann-secret") and not check("nobody", "ann-secret")
    assert authenticator(Settings()) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ann\n", "line 1: expected user:password"),
        ("ann:x\n:nameless\n", "line 2: expected"),
        ("ann:x\nann:y\n", "line 2: user 'ann' twice"),
        ("# only a comment\n", "names no users"),
    ],
)
def test_malformed_auth_files_are_refused_with_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    users_file = tmp_path / "users"
    users_file.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_users(Settings(auth_file=str(users_file)))
    with pytest.raises(SystemExit, match=message):
        check_exposure(Settings(host="0.0.0.0", auth_file=str(users_file)))


def test_missing_auth_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read it"):
        load_users(Settings(auth_file=str(tmp_path / "absent")))


def test_an_auth_file_satisfies_the_exposure_check(tmp_path: Path) -> None:
    users_file = tmp_path / "users"
    users_file.write_text(f"ann:{hash_password('long-password')}\n")
    check_exposure(Settings(host="0.0.0.0", auth_file=str(users_file)))


def test_secrets_and_refusals_never_reach_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    users_file = tmp_path / "users"
    users_file.write_text("bea:bea-plain-secret\n")
    settings = Settings(auth="ann:ann-secret", auth_file=str(users_file))
    assert {"ann-secret", "bea-plain-secret"} <= secrets(settings)
    assert "ann-secret" not in repr(settings)
    check = authenticator(settings)
    assert check is not None
    with caplog.at_level(logging.WARNING, logger="c5qa"):
        assert not check("ann", "guessed-password")
    assert [r.getMessage() for r in caplog.records] == ["auth.refused"]
    assert caplog.records[0].fields == {"user": "ann"}
    assert "guessed-password" not in caplog.text


def test_passwd_command_prints_a_verifiable_line() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "c5qa", "passwd", "ann"],
        input="a-long-password\n",
        capture_output=True,
        text=True,
        check=True,
    )
    user, _, stored = run.stdout.strip().partition(":")
    assert user == "ann" and verify(stored, "a-long-password")
    assert "a-long-password" not in run.stdout + run.stderr
    short = subprocess.run(
        [sys.executable, "-m", "c5qa", "passwd", "ann"],
        input="short\n",
        capture_output=True,
        text=True,
    )
    assert short.returncode == 2 and "at least 8" in short.stderr


def test_an_unknown_user_costs_a_refusal_as_much_work_as_a_wrong_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing must not reveal which user names exist: both refusals run one scrypt."""
    import hashlib

    users = tmp_path / "users.txt"
    users.write_text(f"ana:{hash_password('right')}\n", encoding="utf-8")
    check = authenticator(Settings(auth_file=str(users)))
    assert check is not None
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    assert not check("ana", "wrong")
    known = len(calls)
    calls.clear()
    assert not check("nobody", "wrong")
    assert len(calls) == known == 1
    assert check("ana", "right")
