import asyncio
import inspect
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import gradio as gr
import httpx
import pytest

import c5qa.app.auth as auth
from c5qa.app.auth import (
    Throttle,
    authenticator,
    hash_password,
    load_users,
    login_middleware,
    secrets,
    verify,
)
from c5qa.faces.ui import check_exposure
from c5qa.measure.loadtest import free_port
from c5qa.settings import Settings

Check = Callable[[str, str], Awaitable[bool]]


def run(check: Check | None, user: str, password: str, client: str | None = None) -> bool:
    """One login through the async check, as Gradio's login route awaits it (with the client
    address ``ClientAddress`` would have set)."""
    assert check is not None

    async def login() -> bool:
        auth._CLIENT.set(client)
        return await check(user, password)

    return asyncio.run(login())


class FakeClock:
    """Time that moves only when a test says so, so no test sleeps through a backoff."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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
    assert run(check, "ann", "ann-secret") and run(check, "bea", "bea-password")
    assert run(check, "cyd", "cyd-plain")
    assert not run(check, "bea", "ann-secret") and not run(check, "nobody", "ann-secret")
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
        assert not run(check, "ann", "guessed-password")
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
    assert not run(check, "ana", "wrong")
    known = len(calls)
    calls.clear()
    assert not run(check, "nobody", "wrong")
    assert len(calls) == known == 1
    assert run(check, "ana", "right")


# --- throttling and the worker thread (issue #21, finding 7) -----------------------------------


def test_throttle_locks_after_the_limit_and_doubles_up_to_the_cap() -> None:
    clock = FakeClock()
    throttle = Throttle(limit=3, window=60.0, backoff=2.0, max_backoff=10.0, clock=clock)
    assert [throttle.fail("ann") for _ in range(2)] == [0.0, 0.0]
    assert throttle.refuse("ann") == (0.0, 0)
    assert throttle.fail("ann") == 2.0  # the third failure within the window locks
    assert throttle.refuse("ann") == (2.0, 1) and throttle.refuse("ann") == (2.0, 2)
    assert throttle.refuse("bob") == (0.0, 0)  # other keys are not affected
    clock.now += 2.0
    assert throttle.refuse("ann") == (0.0, 0)
    locks = []
    for _ in range(4):  # every failure after a lock locks again, for twice as long, capped
        locks.append(throttle.fail("ann"))
        clock.now += locks[-1]
    assert locks == [4.0, 8.0, 10.0, 10.0]


def test_throttle_forgets_quiet_keys_and_clears_on_success() -> None:
    clock = FakeClock()
    throttle = Throttle(limit=2, window=60.0, backoff=2.0, max_backoff=100.0, clock=clock)
    throttle.fail("ann")
    clock.now += 61.0  # outside the window: that failure no longer counts
    assert throttle.fail("ann") == 0.0
    assert throttle.fail("ann") == 2.0
    clock.now += 2.0 + 61.0  # quiet for a window after the lock: the backoff starts over
    assert throttle.fail("ann") == 0.0 and throttle.fail("ann") == 2.0
    throttle.clear("ann")
    assert throttle.refuse("ann") == (0.0, 0) and throttle.fail("ann") == 0.0


def test_throttle_remembers_a_bounded_number_of_keys() -> None:
    throttle = Throttle(limit=1, window=60.0, max_keys=3, clock=FakeClock())
    for name in ("a", "b", "c", "d"):
        throttle.fail(name)
    assert throttle.refuse("a") == (0.0, 0)  # the least recently failed went first
    assert all(throttle.refuse(name)[0] > 0 for name in ("b", "c", "d"))


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check the authenticator runs, by stored secret kind."""
    calls: list[str] = []
    real = auth.verify

    def counting(stored: str, password: str) -> bool:
        calls.append(stored[:7])
        return real(stored, password)

    monkeypatch.setattr(auth, "verify", counting)
    return calls


def _one_user(tmp_path: Path) -> Settings:
    users = tmp_path / "users"
    users.write_text(f"ana:{hash_password('right-password')}\n", encoding="utf-8")
    return Settings(auth_file=str(users))


def test_a_throttled_user_is_refused_at_once_without_scrypt_even_with_the_password(
    tmp_path: Path, counted: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    check = authenticator(
        _one_user(tmp_path).replace(auth_max_failures=3, auth_backoff_s=5.0), clock=clock
    )
    with caplog.at_level(logging.DEBUG, logger="c5qa"):
        assert not any(run(check, "ana", f"guess-{n}") for n in range(3))
        assert len(counted) == 3
        assert not run(check, "ana", "right-password")  # locked: refused, no scrypt
        assert not run(check, "ana", "guess-9")
    assert len(counted) == 3
    throttled = [r for r in caplog.records if r.getMessage() == "auth.throttled"]
    assert [r.levelno for r in throttled] == [logging.WARNING, logging.DEBUG]
    assert throttled[0].fields == {"user": "ana", "client": None, "retry_after_s": 5.0}
    assert "right-password" not in caplog.text and "guess-9" not in caplog.text
    clock.now += 5.0
    assert run(check, "ana", "right-password")  # the lock is over, and a success clears it
    assert not run(check, "ana", "guess-10") and not run(check, "ana", "guess-11")
    assert len(counted) == 6  # two failures after a success do not lock again


def test_unknown_and_known_names_are_throttled_alike(tmp_path: Path, counted: list[str]) -> None:
    """The throttle must not tell which names exist: both lock after the same failures."""
    check = authenticator(_one_user(tmp_path).replace(auth_max_failures=2), clock=FakeClock())
    for name in ("ana", "nobody"):
        assert not run(check, name, "x") and not run(check, name, "y")
        assert not run(check, name, "z")
    assert counted == ["scrypt:"] * 4  # the unknown name was checked against the decoy hash


def test_the_global_budget_and_the_client_address_bound_a_spray(
    tmp_path: Path, counted: list[str]
) -> None:
    settings = _one_user(tmp_path)
    check = authenticator(
        settings.replace(auth_max_failures=10, auth_global_failures=3), clock=FakeClock()
    )
    assert not any(run(check, f"spray-{n}", "x") for n in range(3))
    assert not run(check, "ana", "right-password") and len(counted) == 3  # all logins locked
    check = authenticator(settings.replace(auth_max_failures=2), clock=FakeClock())
    assert not run(check, "one", "x", client="10.0.0.7") and not run(check, "two", "x", "10.0.0.7")
    assert not run(check, "ana", "right-password", client="10.0.0.7")  # that address is locked
    assert run(check, "ana", "right-password", client="10.0.0.8")  # another is not
    assert len(counted) == 3 + 3


def test_the_check_runs_in_a_worker_thread_while_the_loop_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check that blocks must not stop the event loop: Gradio awaits coroutine functions
    and calls plain ones on its loop, so the check must be a coroutine function."""
    check = authenticator(_one_user(tmp_path))
    assert check is not None and inspect.iscoroutinefunction(check)
    entered, release = threading.Event(), threading.Event()

    def blocking(stored: str, password: str) -> bool:
        entered.set()
        release.wait(timeout=10)
        return False

    monkeypatch.setattr(auth, "verify", blocking)

    async def scenario() -> int:
        login = asyncio.create_task(check("ana", "x"))
        ticks = 0
        for _ in range(200):  # the loop keeps running while the check is blocked
            if entered.is_set() and ticks >= 5:
                break
            await asyncio.sleep(0.01)
            ticks += 1
        assert entered.is_set() and not login.done()
        release.set()
        assert not await asyncio.wait_for(login, timeout=10)
        return ticks

    assert asyncio.run(scenario()) >= 5


def test_a_served_app_answers_during_a_slow_login_and_throttles_by_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[str]
) -> None:
    entered, release = threading.Event(), threading.Event()
    real = auth.verify

    def slow(stored: str, password: str) -> bool:
        if password == "slow-guess":
            entered.set()
            release.wait(timeout=10)
        return real(stored, password)

    monkeypatch.setattr(auth, "verify", slow)
    with gr.Blocks() as app:
        gr.Markdown("hello")
    check = authenticator(_one_user(tmp_path).replace(auth_max_failures=2))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    app.launch(
        server_name="127.0.0.1",
        server_port=port,
        auth=check,
        app_kwargs={"middleware": login_middleware()},
        prevent_thread_lock=True,
        quiet=True,
    )
    right = {"username": "ana", "password": "right-password"}
    slow_guess = {"data": {"username": "sam", "password": "slow-guess"}, "timeout": 20}
    try:
        with httpx.Client(timeout=10) as http:
            assert http.post(url + "login", data=right).status_code == 200
            login = threading.Thread(
                target=httpx.post, args=(url + "login",), kwargs=slow_guess, daemon=True
            )
            login.start()
            assert entered.wait(timeout=10)
            started = time.perf_counter()
            assert http.get(url).status_code == 200  # served while the check is blocked
            assert time.perf_counter() - started < 2.0
            release.set()
            login.join(timeout=20)
            wrong = http.post(url + "login", data={"username": "tom", "password": "x"})
            assert wrong.status_code == 400  # a coroutine check is awaited, not just truthy
            # two failures from 127.0.0.1 locked that address, even for the right password
            assert http.post(url + "login", data=right).status_code == 400
    finally:
        release.set()
        app.close()
    assert counted == ["scrypt:"] * 3
