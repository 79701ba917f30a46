"""Who may use a server that listens beyond this machine.

Users come from ``auth`` ("user:password") and from ``auth_file``: one ``user:secret`` per line,
``#`` comments allowed, where the secret is a password or, better, an scrypt hash printed by
``c5qa passwd USER`` ("scrypt:<salt>:<hash>"), so the file never holds a password in clear.

A login check costs one scrypt (~45 ms of CPU), so it runs in a worker thread, a few at a time,
never on the server's event loop; and failed logins are throttled per user name, per client
address (when ``ClientAddress`` is installed) and overall, so a flood of guesses is refused
without running scrypt at all (issue #21, finding 7).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets as random
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from c5qa.settings import Settings

log = logging.getLogger(__name__)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_PREFIX = "scrypt:"


def hash_password(password: str) -> str:
    """An scrypt hash with a fresh salt, so the auth file never holds a password in clear."""
    salt = random.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"{_PREFIX}{salt.hex()}:{digest.hex()}"


def verify(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (a hash or a password), compared in constant
    time; it blocks for one scrypt, so servers call it off their event loop."""
    if stored.startswith(_PREFIX):
        try:
            salt, digest = (bytes.fromhex(part) for part in stored[len(_PREFIX) :].split(":"))
        except ValueError:
            return False
        computed = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
        return hmac.compare_digest(computed, digest)
    return hmac.compare_digest(stored.encode(), password.encode())


def _parse(line: str, where: str) -> tuple[str, str]:
    user, sep, secret = line.partition(":")
    user = user.strip()
    if not sep or not user or not secret:
        raise ValueError(f"{where}: expected user:password (or user:scrypt:…)")
    return user, secret


def load_users(settings: Settings) -> dict[str, str]:
    """Every user and their stored secret; a malformed entry is an error naming its line (a
    server must not start with a half-read list of users)."""
    users: dict[str, str] = {}
    if settings.auth:
        user, secret = _parse(settings.auth, "setting 'auth'")
        users[user] = secret
    if settings.auth_file:
        path = Path(settings.auth_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.__class__.__name__
            raise ValueError(f"auth file {path}: cannot read it ({reason})") from exc
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if line and not line.startswith("#"):
                user, secret = _parse(line, f"auth file {path}, line {number}")
                if user in users:
                    raise ValueError(f"auth file {path}, line {number}: user {user!r} twice")
                users[user] = secret
        if not users:
            raise ValueError(f"auth file {path} names no users")
    return users


def secrets(settings: Settings) -> set[str]:
    """What must never appear in a log: passwords in clear and the stored secrets."""
    try:
        stored = load_users(settings).values()
    except ValueError:
        stored = ()
    found = {settings.auth.partition(":")[2]} if settings.auth else set()
    return {s for s in (*found, *stored) if s}


# --- throttling failed logins -------------------------------------------------------------------

# The address of the client whose request is being served, set by ``ClientAddress``: Gradio
# calls the auth function with (username, password) only, so the address travels beside it.
_CLIENT: ContextVar[str | None] = ContextVar("c5qa_auth_client", default=None)
_GLOBAL = "*"


@dataclass
class _Record:
    failures: deque[float]  # times of the latest failures, at most ``limit`` of them
    last: float = 0.0  # time of the latest failure
    strikes: int = 0  # locks so far: each doubles the next backoff
    locked_until: float = 0.0
    refused: int = 0  # attempts refused during the current lock


@dataclass
class Throttle:
    """Failed attempts per key (a user name, a client address, "*" for all) with a backoff.

    After ``limit`` failures within ``window`` seconds a key is locked for ``backoff`` seconds;
    while it keeps failing after that, every further failure locks it again for twice as long
    as the last time, up to ``max_backoff``. A key that has neither failed nor been locked for
    ``window`` seconds is forgotten (its backoff starts over), as is one cleared by a success.
    At most ``max_keys`` keys are remembered (the least recently failed go first), so sprayed
    user names cannot grow memory without bound. ``clock`` is injectable for tests.
    """

    limit: int = 5
    window: float = 300.0
    backoff: float = 2.0
    max_backoff: float = 300.0
    max_keys: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _records: OrderedDict[str, _Record] = field(default_factory=OrderedDict, repr=False)

    def _record(self, key: str, now: float) -> _Record | None:
        record = self._records.get(key)
        if record is not None and now > max(record.locked_until, record.last) + self.window:
            del self._records[key]
            return None
        return record

    def refuse(self, key: str) -> tuple[float, int]:
        """Seconds ``key`` must still wait (0: it may try now) and, when it must, how many
        attempts this lock has refused, this one included (1 means the first)."""
        now = self.clock()
        record = self._record(key, now)
        if record is None or record.locked_until <= now:
            return 0.0, 0
        record.refused += 1
        return record.locked_until - now, record.refused

    def fail(self, key: str) -> float:
        """Count a failure; the seconds of the lock it started, or 0 if it started none."""
        now = self.clock()
        record = self._record(key, now)
        if record is None:
            record = _Record(deque(maxlen=self.limit))
            self._records[key] = record
            while len(self._records) > self.max_keys:
                self._records.popitem(last=False)
        self._records.move_to_end(key)
        while record.failures and record.failures[0] < now - self.window:
            record.failures.popleft()
        record.failures.append(now)
        record.last = now
        if not record.strikes and len(record.failures) < self.limit:
            return 0.0
        seconds = min(self.backoff * 2.0 ** min(record.strikes, 60), self.max_backoff)
        record.strikes += 1
        record.locked_until, record.refused = now + seconds, 0
        return seconds

    def clear(self, key: str) -> None:
        """Forget ``key`` (after a success: a user who got in starts afresh)."""
        self._records.pop(key, None)


class ClientAddress:
    """ASGI middleware that makes the client's address known to the login check.

    Gradio passes the auth function (username, password) only, so without this the check
    throttles per user name and overall, but not per address. Install it with
    ``app.launch(..., app_kwargs={"middleware": login_middleware()})``. The address is the TCP
    peer: behind a reverse proxy every client shares the proxy's address.
    """

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        client = scope.get("client") if scope.get("type") == "http" else None
        token = _CLIENT.set(str(client[0]) if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            _CLIENT.reset(token)


def login_middleware() -> list[Any]:
    """The middleware list for ``app_kwargs`` (Starlette is imported only by servers)."""
    from starlette.middleware import Middleware

    return [Middleware(ClientAddress)]


def _throttled(keys: list[str], limits: Throttle, overall: Throttle) -> tuple[float, int]:
    """The longest wait any key (or the global budget) imposes, and whether this is the
    first refusal of that lock (1) or a later one."""
    waits = [limits.refuse(key) for key in keys] + [overall.refuse(_GLOBAL)]
    locked = [wait for wait in waits if wait[0] > 0]
    if not locked:
        return 0.0, 0
    return max(wait[0] for wait in locked), min(wait[1] for wait in locked)


def _log_throttled(user: str, address: str | None, wait: float, refusals: int) -> None:
    # The first refusal of a lock is a warning; the rest of a flood is debug, so a flood of
    # refused guesses cannot fill the log (the password is never logged).
    level = logging.WARNING if refusals == 1 else logging.DEBUG
    if log.isEnabledFor(level):
        fields = {"user": user[:64], "client": address, "retry_after_s": round(wait, 1)}
        log.log(level, "auth.throttled", extra={"fields": fields})


@dataclass
class _Login:
    """One server's login check: its users, the decoy secret, the throttles and the slots
    for the scrypt worker threads."""

    users: dict[str, str]
    decoy: str
    limits: Throttle
    overall: Throttle
    slots: asyncio.Semaphore

    async def _verify(self, keys: list[str], user: str, password: str) -> tuple[float, int, bool]:
        """(wait, refusals, ok): a lock that started while this attempt waited for its slot
        refuses it still without scrypt; otherwise one scrypt runs in a worker thread."""
        async with self.slots:
            wait, refusals = _throttled(keys, self.limits, self.overall)
            if wait:
                return wait, refusals, False
            stored = self.users.get(user)
            ok = await asyncio.to_thread(verify, stored or self.decoy, password)
            return 0.0, 0, ok and stored is not None

    async def check(self, user: str, password: str) -> bool:
        """Gradio's auth function: True lets ``user`` in."""
        address = _CLIENT.get()
        keys = [f"user:{user[:256]}"] + ([f"addr:{address}"] if address else [])
        wait, refusals = _throttled(keys, self.limits, self.overall)
        ok = False
        if not wait:  # a locked attempt never waits for a slot: it is refused at once
            wait, refusals, ok = await self._verify(keys, user, password)
        if wait:
            _log_throttled(user, address, wait, refusals)
            return False
        if ok:
            self.limits.clear(keys[0])
            return True
        for key in keys:
            self.limits.fail(key)
        self.overall.fail(_GLOBAL)
        log.warning("auth.refused", extra={"fields": {"user": user[:64]}})
        return False


def authenticator(
    settings: Settings, clock: Callable[[], float] = time.monotonic
) -> Callable[[str, str], Awaitable[bool]] | None:
    """Gradio's login check, or None when no users are configured.

    It is a coroutine function, which Gradio 6 awaits (a plain function it would call on its
    event loop, stalling every other request for each ~45 ms scrypt): the check runs in a
    worker thread, at most ``auth_parallel_checks`` at once so a flood cannot take every core.

    Failures are throttled (see ``Throttle``): ``auth_max_failures`` within ``auth_window_s``
    seconds for one user name, or from one client address when ``ClientAddress`` is installed,
    lock it for ``auth_backoff_s`` seconds, doubling while failures go on, up to
    ``auth_max_backoff_s``; ``auth_global_failures`` failures within the window across all
    users lock every login the same way, which bounds a spray of user names from many
    addresses. A locked attempt is refused at once, without scrypt, whatever the password; a
    success clears its user name. ``clock`` is injectable for tests.
    """
    s = settings
    users = load_users(settings)
    if not users:
        return None
    # An unknown user is checked against a secret of the same kind as the real ones that no
    # one can type, so a refusal takes as long for a user that does not exist as for a wrong
    # password: the time of a refusal must not tell which user names exist. The throttle
    # treats every name alike for the same reason.
    hashed = any(stored.startswith(_PREFIX) for stored in users.values())
    decoy = hash_password(random.token_hex(16)) if hashed else random.token_hex(16)
    backoff = (s.auth_window_s, s.auth_backoff_s, s.auth_max_backoff_s)
    limits = Throttle(s.auth_max_failures, *backoff, clock=clock)
    overall = Throttle(s.auth_global_failures, *backoff, clock=clock)
    return _Login(users, decoy, limits, overall, asyncio.Semaphore(s.auth_parallel_checks)).check
