"""Security settings proven the way a client meets them: login throttling and lockout, session
cookies and rotation, production deploy checks, password hashing, secrets from the environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _production_env(tmp_path, **extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MANYI_", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"))
    }
    env.update(
        MANYI_PRODUCTION="1",
        MANYI_DATA=str(tmp_path),
        SECRET_KEY="x9-" + "k3Q7vL0pZ2rT8yW5nB1mC4dF6gH9jK2sE7uI0oA3qX5" * 2,
        ALLOWED_HOSTS="manyi.example.com",
        DJANGO_SETTINGS_MODULE="manyi.settings",
    )
    env.update(extra)
    return env


def _manage(env, *args):
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def _production_setting(tmp_path, expression):
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    out = subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", code],
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


# -- production settings ----------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _manage(_production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set in production" in result.stderr
    # No key was invented and written to disk either.
    assert not (tmp_path / "secret_key").exists()


def test_the_secret_key_may_come_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("f" * 60, encoding="utf-8")
    env = _production_env(tmp_path, SECRET_KEY_FILE=str(key_file))
    del env["SECRET_KEY"]
    code = "from django.conf import settings; print('KEY=' + settings.SECRET_KEY)"
    result = _manage(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert "KEY=" + "f" * 60 in result.stdout.splitlines()


def test_production_cookies_and_headers(tmp_path):
    values = _production_setting(
        tmp_path,
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT,"
        " settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_SAMESITE,"
        " settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_EXPIRE_AT_BROWSER_CLOSE,"
        " settings.PASSWORD_HASHERS[0]",
    )
    assert values == (
        "True True True 31536000 Lax True True django.contrib.auth.hashers.Argon2PasswordHasher"
    )


def test_argon2_hashes_passwords_in_production(settings):
    # The test settings use MD5 for speed; the production list starts with argon2.
    from manyi import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    assert make_password("Example-pass-1").startswith("argon2$argon2id$")


# -- login throttling -------------------------------------------------------------------------


def _try_login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_wrong_passwords_lock_the_user_name_from_that_address(world, axes_on):
    client = Client()
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = _try_login(client, "manager", "wrong")
        assert response.status_code == 200  # the login page again, with the form error
    response = _try_login(client, "manager", "wrong")
    assert response.status_code == 429
    # Now even the right password is refused, with a message that says why and how long.
    response = _try_login(client, "manager", PASSWORD)
    assert response.status_code == 429
    text = response.content.decode()
    assert "密码错误次数过多" in text
    assert "15" in text
    assert "_auth_user_id" not in client.session
    # Another user from the same address, and the same user elsewhere, are not locked.
    assert _try_login(Client(), "rep", PASSWORD).status_code == 302
    assert _try_login(Client(), "manager", PASSWORD, ip="10.0.0.2").status_code == 302


def test_the_lock_lifts_after_the_cool_off(world, axes_on):
    import time_machine
    from django.utils import timezone

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(django_settings.AXES_FAILURE_LIMIT):
            _try_login(Client(), "tech", "wrong")
        assert _try_login(Client(), "tech", PASSWORD).status_code == 429
    later = start + django_settings.AXES_COOLOFF_TIME + django_settings.AXES_COOLOFF_TIME / 10
    with time_machine.travel(later, tick=False):
        assert _try_login(Client(), "tech", PASSWORD).status_code == 302


def test_a_success_resets_the_failure_count(world, axes_on):
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        _try_login(Client(), "sales", "wrong")
    assert _try_login(Client(), "sales", PASSWORD).status_code == 302
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        _try_login(Client(), "sales", "wrong")
    assert _try_login(Client(), "sales", PASSWORD).status_code == 302


def test_api_tokens_take_no_passwords(client, world):
    # The API authenticates with bearer tokens only: a password in Basic auth is not accepted,
    # so there is no password endpoint to throttle besides the login page.
    import base64

    basic = base64.b64encode(f"head:{PASSWORD}".encode()).decode()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 401
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer manyi_guessed")
    assert response.status_code == 401


# -- sessions ---------------------------------------------------------------------------------


def test_login_rotates_the_session_and_sets_safe_cookies(world):
    client = Client()
    client.get(reverse("login"))
    client.cookies["sessionid"] = "attacker-chosen-session-key"
    response = _try_login(client, "head", PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie.value != "attacker-chosen-session-key"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert client.get(reverse("home")).status_code == 200


def test_logout_invalidates_the_session(world):
    client = Client()
    _try_login(client, "head", PASSWORD)
    key = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    thief = Client()
    thief.cookies["sessionid"] = key
    response = thief.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sessions_expire(world, settings):
    import time_machine
    from django.utils import timezone

    start = timezone.now()
    age = timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    client = Client()
    with time_machine.travel(start, tick=False):
        _try_login(client, "head", PASSWORD)
    with time_machine.travel(start + age - timezone.timedelta(minutes=5), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + age + timezone.timedelta(minutes=1), tick=False):
        assert client.get(reverse("home")).status_code == 302


def test_with_save_every_request_the_expiry_is_idle_time(world, settings):
    import time_machine
    from django.utils import timezone

    settings.SESSION_SAVE_EVERY_REQUEST = True
    start = timezone.now()
    age = timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    client = Client()
    with time_machine.travel(start, tick=False):
        _try_login(client, "head", PASSWORD)
    with time_machine.travel(start + age / 2, tick=False):
        assert client.get(reverse("home")).status_code == 200  # activity pushes it on
    with time_machine.travel(start + age + timezone.timedelta(minutes=1), tick=False):
        assert client.get(reverse("home")).status_code == 200
    # Idle for longer than the age since the last request: gone.
    with time_machine.travel(start + age * 2 + timezone.timedelta(minutes=5), tick=False):
        assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize("path", ["/login/", "/s/not-a-token/"])
def test_public_pages_carry_the_security_headers(client, db, path):
    response = client.get(path)
    directives = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["style-src"] == directives["style-src-elem"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("referer", "location"),
    [
        ("https://evil.example/?testserver", "/cases/1/moves/x/"),
        ("//evil.example/cases/", "/cases/1/moves/x/"),
        ("http://testserver/cases/1/", "http://testserver/cases/1/"),
        ("/cases/1/", "/cases/1/"),
    ],
)
def test_a_refused_post_goes_back_only_to_this_site(rf, referer, location):
    from django.contrib.messages.storage.fallback import FallbackStorage

    from manyi.errors import InvalidInput
    from manyi.middleware import DomainErrorMiddleware

    request = rf.post("/cases/1/moves/x/", HTTP_REFERER=referer)
    request.session = {}
    request._messages = FallbackStorage(request)
    response = DomainErrorMiddleware(lambda r: None).process_exception(request, InvalidInput("x"))
    assert response.status_code == 302
    assert response["Location"] == location
