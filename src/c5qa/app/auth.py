"""Who may use a server that listens beyond this machine.

Users come from ``auth`` ("user:password") and from ``auth_file``: one ``user:secret`` per line,
``#`` comments allowed, where the secret is a password or, better, an scrypt hash printed by
``c5qa passwd USER`` ("scrypt:<salt>:<hash>"), so the file never holds a password in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets as random
from collections.abc import Callable
from pathlib import Path

from c5qa.settings import Settings

log = logging.getLogger(__name__)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_PREFIX = "scrypt:"


def hash_password(password: str) -> str:
    salt = random.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"{_PREFIX}{salt.hex()}:{digest.hex()}"


def verify(stored: str, password: str) -> bool:
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


def authenticator(settings: Settings) -> Callable[[str, str], bool] | None:
    """Gradio's login check, or None when no users are configured."""
    users = load_users(settings)
    if not users:
        return None
    # An unknown user is checked against a secret of the same kind as the real ones that no
    # one can type, so a refusal takes as long for a user that does not exist as for a wrong
    # password: the time of a refusal must not tell which user names exist.
    hashed = any(stored.startswith(_PREFIX) for stored in users.values())
    decoy = hash_password(random.token_hex(16)) if hashed else random.token_hex(16)

    def check(user: str, password: str) -> bool:
        stored = users.get(user)
        ok = verify(stored or decoy, password) and stored is not None
        if not ok:
            log.warning("auth.refused", extra={"fields": {"user": user[:64]}})
        return ok

    return check
