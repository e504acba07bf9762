"""The web app's sign-in rules, as pure functions."""

from __future__ import annotations

import pytest

from services.web.app import _safe_next
from services.web.auth import (
    SESSION_SECONDS,
    Revocations,
    access_for,
    hash_password,
    is_loopback,
    verify_password,
)
from streams.settings import Settings


def test_password_hash_round_trip_and_salted():
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$32768$8$1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert hash_password("correct horse battery") != stored
    assert not verify_password("x", "md5$abc") and not verify_password("x", "garbage")


def test_beyond_loopback_the_app_needs_users_or_a_proxy_header(tmp_path):
    s = Settings(home=tmp_path)
    assert access_for(s, "127.0.0.1").open and not access_for(s, "::1").secure_cookies
    with pytest.raises(ValueError, match="refusing to serve on 0.0.0.0 without sign-in"):
        access_for(s, "0.0.0.0")
    users = Settings(home=tmp_path, web_users={"ann": hash_password("a long password")})
    a = access_for(users, "0.0.0.0")
    assert not a.open and a.secure_cookies and list(a.users) == ["ann"]
    sso = Settings(home=tmp_path, web_trusted_user_header="X-Forwarded-Email")
    assert access_for(sso, "10.0.0.5").header == "X-Forwarded-Email"


def test_users_file(tmp_path):
    f = tmp_path / "users"
    f.write_text(f"# reps\nann:{hash_password('a long password')}\n")
    s = Settings(home=tmp_path, web_users_file=f)
    assert list(access_for(s, "0.0.0.0").users) == ["ann"]
    f.write_text("ann:plaintext\n")
    with pytest.raises(ValueError, match="users:1: expected name:scrypt"):
        access_for(s, "0.0.0.0")


def test_loopback_and_redirect_targets():
    assert is_loopback("localhost") and is_loopback("127.0.0.2") and not is_loopback("0.0.0.0")
    assert _safe_next("/accounts/acme?x=1") == "/accounts/acme?x=1"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", "evil"):
        assert _safe_next(bad) == "/"


def test_sign_in_throttle_per_user_name():
    from services.web.auth import Throttle

    t = Throttle(limit=3, window=60)
    for i in range(3):
        assert not t.blocked("ann", 100 + i)
        t.failed("ann", 100 + i)
    assert t.blocked("ann", 103) and not t.blocked("bob", 103)
    assert not t.blocked("ann", 161)  # two of the three failures left the window
    t.failed("ann", 161)
    t.failed("ann", 161)
    assert t.blocked("ann", 161)
    t.succeeded("ann")
    assert not t.blocked("ann", 161)


def test_d6_a_signed_out_session_stays_out_in_every_process(tmp_path):
    path = tmp_path / "run" / "web-revoked"
    one, other = Revocations(path), Revocations(path)
    one.revoke("sid-a", now=1_000.0)
    assert one.revoked("sid-a") and other.revoked("sid-a")  # another web process, a restart
    assert not other.revoked("sid-b")
    other.revoke("sid-b", now=1_000.0 + SESSION_SECONDS + 1)  # sid-a's session has expired
    assert one.revoked("sid-b") and not one.revoked("sid-a")
