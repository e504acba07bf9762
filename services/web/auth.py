"""Who may open the web app. Bound to loopback with no users, nobody signs in (the demo);
beyond loopback the app refuses to start unless users are configured (scrypt hashes) or a
trusted reverse proxy names the user in a header (SSO)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from streams.settings import Settings

# scrypt cost: 2^15 x 8 x 1 (32 MiB, ~0.1 s here): OWASP's recommended minimum.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 << 20


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), maxmem=_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def load_users(settings: Settings) -> dict[str, str]:
    """PULSE_WEB_USERS plus the `name:hash` lines of PULSE_WEB_USERS_FILE."""
    users = dict(settings.web_users)
    if settings.web_users_file is not None:
        for n, line in enumerate(settings.web_users_file.read_text().splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, stored = line.partition(":")
            if not sep or not name or not stored.startswith("scrypt$"):
                raise ValueError(f"{settings.web_users_file}:{n}: expected name:scrypt$... "
                                 "(from `pulse password-hash`)")
            users[name] = stored
    return users


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Access:
    users: dict[str, str]
    header: str  # trusted reverse-proxy header naming the user ('' = none)
    secure_cookies: bool

    @property
    def open(self) -> bool:
        """No sign-in at all (loopback demo)."""
        return not self.users and not self.header


def access_for(settings: Settings, host: str) -> Access:
    """The sign-in rules for serving on ``host``; ValueError when it would be unsafe."""
    users = load_users(settings)
    header = settings.web_trusted_user_header.strip()
    if not is_loopback(host) and not users and not header:
        raise ValueError(
            f"refusing to serve on {host} without sign-in: set PULSE_WEB_USERS (or "
            "PULSE_WEB_USERS_FILE) with hashes from `pulse password-hash`, or "
            "PULSE_WEB_TRUSTED_USER_HEADER behind an SSO proxy; or bind to 127.0.0.1")
    return Access(users, header, secure_cookies=not is_loopback(host))


def session_secret(settings: Settings) -> str:
    """PULSE_WEB_SECRET, else a random one kept under PULSE_HOME (sessions survive restarts)."""
    if settings.web_secret is not None:
        return settings.web_secret.get_secret_value()
    path: Path = settings.home_dir / "run" / "web-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


SESSION_SECONDS = 12 * 3600


class Revocations:
    """Sessions signed out before they expire. The session lives in a signed cookie, so
    without this a copy of the cookie kept working for 12 hours after sign-out. Kept in a
    file (one ``expiry session-id`` line each) under PULSE_HOME, so a restart, or another
    web process on the same PULSE_HOME, refuses them too; entries go once the session
    would have expired anyway."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._revoked: dict[str, float] = {}
        self._seen: float = -1.0  # mtime of the file as last read

    def revoke(self, session_id: str, now: float) -> None:
        self._reload()
        self._revoked[session_id] = now + SESSION_SECONDS
        self._revoked = {k: t for k, t in self._revoked.items() if t > now}
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(f"{t:.0f} {k}\n" for k, t in self._revoked.items()))
            tmp.replace(self.path)
            self._seen = self.path.stat().st_mtime

    def revoked(self, session_id: str) -> bool:
        self._reload()
        return session_id in self._revoked

    def _reload(self) -> None:
        if self.path is None:
            return
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime == self._seen:
            return
        revoked = {}
        for line in self.path.read_text().splitlines():
            expiry, _, session_id = line.partition(" ")
            if session_id and expiry.isdigit():
                revoked[session_id] = float(expiry)
        self._revoked, self._seen = revoked, mtime


def revocations(settings: Settings) -> Revocations:
    return Revocations(settings.home_dir / "run" / "web-revoked")


class Throttle:
    """Sign-in attempts per user name: after ``limit`` failures within ``window`` seconds
    the name is refused until the window has passed (password guessing gets 5 tries per 15
    minutes, not thousands). In memory, per process: a restart forgets."""

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, list[float]] = {}

    def _recent(self, name: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(name, []) if now - t < self.window]
        if kept:
            self._failures[name] = kept
        else:
            self._failures.pop(name, None)
        return kept

    def blocked(self, name: str, now: float) -> bool:
        return len(self._recent(name, now)) >= self.limit

    def failed(self, name: str, now: float) -> None:
        self._recent(name, now)
        self._failures.setdefault(name, []).append(now)
        if len(self._failures) > 100_000:  # bounded: forget the oldest names first
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)
