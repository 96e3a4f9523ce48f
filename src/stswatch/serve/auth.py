"""Users, their tokens and roles.

A token is ``stsw_<token id>_<secret>``: the id (public, stored as is) finds the user, the
secret (256 random bits) is stored only as a salted scrypt hash and compared in constant time.
Roles are ordered: a *viewer* reads everything; an *analyst* can also triage events; an
*admin* can also change lists, areas and users and read the audit log. The token is shown
once, when the user is added (``stswatch users add`` or ``POST /api/users``).

Verifying scrypt on every request would cost tens of milliseconds each; a verified token is
remembered in memory (as an HMAC under a per-process key, next to the hash it was checked
against), so a removed user or a replaced token stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stswatch.errors import UsageError
from stswatch.serve import audit
from stswatch.serve.db import Con, rows

ROLES = ("viewer", "analyst", "admin")
TOKEN_PREFIX = "stsw"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# scrypt cost: 16 MiB and about 50 ms per hash (RFC 7914 section 2's interactive setting).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class UserExists(UsageError):
    """A user of that name exists."""


class NoSuchUser(UsageError):
    """No user of that name."""


class LastAdmin(UsageError):
    """The change would leave nobody able to manage users."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_secret(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    ).hex()


def check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise UsageError(
            f"User name {name!r} is not allowed. Hint: 1-64 letters, digits, '.', '_', '-' or "
            "'@', starting with a letter or digit."
        )


def check_role(role: str) -> None:
    if role not in ROLES:
        raise UsageError(f"Role {role!r} is not one of {', '.join(ROLES)}.")


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("name", "role", "token_id", "created")}


def list_users(con: Con) -> list[dict[str, Any]]:
    return rows(con, "SELECT name, role, token_id, created FROM users ORDER BY name")


def get_user(con: Con, name: str) -> dict[str, Any] | None:
    found = rows(con, "SELECT name, role, token_id, created FROM users WHERE name = ?", [name])
    return found[0] if found else None


def add_user(
    con: Con, name: str, role: str, actor: str, now: datetime | None = None
) -> tuple[dict[str, Any], str]:
    """Add a user (in the caller's transaction); returns its record and its token."""
    check_name(name)
    check_role(role)
    if get_user(con, name) is not None:
        raise UserExists(
            f"A user named {name!r} exists. Hint: remove it first to issue a new token."
        )
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    record = {
        "name": name,
        "role": role,
        "token_id": token_id,
        "token_hash": hash_secret(secret, salt),
        "salt": salt.hex(),
        "created": now or datetime.now(UTC),
    }
    con.execute(
        "INSERT INTO users (name, role, token_id, token_hash, salt, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [record[k] for k in ("name", "role", "token_id", "token_hash", "salt", "created")],
    )
    audit.record(con, actor, "user.add", name, None, _public(record), now)
    return _public(record), f"{TOKEN_PREFIX}_{token_id}_{secret}"


def remove_user(con: Con, name: str, actor: str, now: datetime | None = None) -> dict[str, Any]:
    """Remove a user (in the caller's transaction); refuses to remove the last admin."""
    old = get_user(con, name)
    if old is None:
        have = [u["name"] for u in list_users(con)]
        raise NoSuchUser(f"No user named {name!r} (have: {', '.join(have) or 'none'}).")
    if old["role"] == "admin":
        n = con.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()
        if n and n[0] <= 1:
            raise LastAdmin(
                f"{name!r} is the last admin. Hint: add another admin first, so someone can "
                "still manage users."
            )
    con.execute("DELETE FROM users WHERE name = ?", [name])
    audit.record(con, actor, "user.remove", name, old, None, now)
    _verified.clear()
    return old


class _Verified:
    """Tokens already checked against a stored hash: (token id, hash) -> HMAC of the token."""

    def __init__(self, size: int = 1024) -> None:
        self._key = secrets.token_bytes(32)
        self._seen: dict[tuple[str, str], bytes] = {}
        self._size = size
        self._lock = threading.Lock()

    def _mac(self, token: str) -> bytes:
        return hmac.new(self._key, token.encode(), hashlib.sha256).digest()

    def known(self, token_id: str, token_hash: str, token: str) -> bool:
        mac = self._seen.get((token_id, token_hash))
        return mac is not None and hmac.compare_digest(mac, self._mac(token))

    def add(self, token_id: str, token_hash: str, token: str) -> None:
        with self._lock:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen[(token_id, token_hash)] = self._mac(token)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


_verified = _Verified()


def verify(con: Con, token: str) -> User | None:
    """The user a token belongs to, or None."""
    prefix, _, rest = token.strip().partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not token_id or not secret:
        return None
    found = rows(
        con, "SELECT name, role, token_hash, salt FROM users WHERE token_id = ?", [token_id]
    )
    if len(found) != 1:
        return None
    row = found[0]
    if not _verified.known(token_id, row["token_hash"], token):
        try:
            salt = bytes.fromhex(row["salt"])
        except ValueError:
            return None
        if not hmac.compare_digest(hash_secret(secret, salt), row["token_hash"]):
            return None
        _verified.add(token_id, row["token_hash"], token)
    return User(row["name"], row["role"])
