"""Shared test fixtures: one company with named personas, built through the actions.

The tree: company → east (east-1, east-2), south (south-1); a second company ("other") with its
own head, to prove that companies never see each other. Personas cover every role, plus
``outsider``: a user with a login and no staff record, who may see nothing.
"""

from dataclasses import dataclass

import pytest

PASSWORD = "Test-pass-2026"


@dataclass
class World:
    company: object
    east: object
    south: object
    east1: object
    east2: object
    south1: object
    other_company: object
    other_outlet: object
    users: dict

    def __getattr__(self, name):
        try:
            return self.users[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks run inline: an import queued by a page finishes before the response.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Text messages stay in manyi.notify.sms.outbox (emptied for each test).
    settings.MANYI_SMS_BACKEND = "locmem"
    from manyi.notify import sms

    sms.outbox.clear()
    # Static files straight from the apps (no collectstatic); uploads in a per-test folder.
    settings.STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True


def _bootstrap_head(company, username):
    from django.contrib.auth import get_user_model

    from manyi.org.models import Role, Staff

    user = get_user_model().objects.create_user(username, password=PASSWORD)
    Staff.objects.create(
        user=user, company=company, unit=company, role=Role.DEPARTMENT_HEAD, name=username
    )
    return user


@pytest.fixture
def world(db, settings) -> World:
    from django.contrib.auth import get_user_model

    from manyi.org import actions
    from manyi.org.models import Industry, Role, UnitKind

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    company = actions.create_company(name="测试公司", code="T")
    head = _bootstrap_head(company, "head")

    def unit(parent, kind, code, name, industry=""):
        return actions.create_unit(
            actor=head, parent=parent, kind=kind, code=code, name=name, industry=industry
        )

    east = unit(company, UnitKind.REGION, "E", "华东片区")
    south = unit(company, UnitKind.REGION, "S", "华南片区")
    east1 = unit(east, UnitKind.OUTLET, "E1", "上海徐汇店", Industry.PAINT_DEALER)
    east2 = unit(east, UnitKind.OUTLET, "E2", "杭州西湖店", Industry.PHARMACY)
    south1 = unit(south, UnitKind.OUTLET, "S1", "广州天河店", Industry.CAR_DEALER)

    users = {"head": head}
    for username, role, home in [
        ("admin_role", Role.ADMIN, company),
        ("manager", Role.OUTLET_MANAGER, east1),
        ("rep", Role.SERVICE_REP, east),
        ("tech", Role.TECHNICIAN, east1),
        ("inspector", Role.INSPECTOR, east),
        ("sales", Role.FRONTLINE, east1),
        ("auditor", Role.AUDITOR, company),
        ("analyst", Role.ANALYST, company),
        ("south_manager", Role.OUTLET_MANAGER, south1),
    ]:
        staff = actions.create_staff(
            actor=head, unit=home, username=username, name=username, role=role, password=PASSWORD
        )
        users[username] = staff.user
    users["outsider"] = get_user_model().objects.create_user("outsider", password=PASSWORD)

    other = actions.create_company(name="别家公司", code="O")
    other_head = _bootstrap_head(other, "other_head")
    other_region = actions.create_unit(
        actor=other_head, parent=other, kind=UnitKind.REGION, code="OR", name="别家片区"
    )
    other_outlet = actions.create_unit(
        actor=other_head,
        parent=other_region,
        kind=UnitKind.OUTLET,
        code="O1",
        name="别家门店",
        industry=Industry.OTHER,
    )
    users["other_head"] = other_head
    return World(company, east, south, east1, east2, south1, other, other_outlet, users)


@pytest.fixture
def make_customer(world):
    """Create a customer through the action (as the department head by default)."""
    from manyi.customers.actions import create_customer

    counter = iter(range(10_000_000, 99_999_999))

    def make(outlet=None, actor=None, **fields):
        data = {
            "name": fields.pop("name", "王小明"),
            "phone": fields.pop("phone", f"139{next(counter)}"),
            "home_outlet": outlet or world.east1,
            **fields,
        }
        return create_customer(actor=actor or world.head, data=data)

    return make


def fresh_user(user):
    """The user re-read from the database (scopes are cached per user object)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.select_related("staff__unit").get(pk=user.pk)


# -- API test helpers -----------------------------------------------------------------------

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "errors"}


def auth(user, name="tests"):
    """Headers that authenticate as ``user`` with a fresh personal API token."""
    from manyi.org.actions import create_api_token

    _token, raw = create_api_token(user=user, name=name)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def send(client, method, url, headers, body=None):
    """An API call with a JSON body (a str or bytes body is sent as it is)."""
    import json

    kwargs = dict(headers)
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(url, **kwargs)


def assert_problem(response, status, code=None):
    """The response is a problem document with messages in both languages; returns its body."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert PROBLEM_KEYS <= set(body), body
    assert body["status"] == status
    assert body["type"].endswith("/" + body["code"])
    assert set(body["detail"]) == {"zh", "en"}
    assert body["detail"]["zh"] and body["detail"]["en"]
    assert isinstance(body["errors"], list)
    if code is not None:
        assert body["code"] == code
    return body


def field_names(body):
    """The fields a problem document names."""
    return [e["field"] for e in body["errors"]]


@pytest.fixture(autouse=True)
def _login_throttling_off(settings):
    """django-axes off by default: ``client.login`` authenticates without a request, which
    axes refuses. The login-throttling tests switch it on with the ``axes_on`` fixture."""
    settings.AXES_ENABLED = False


@pytest.fixture
def axes_on(settings):
    """Login throttling on, as in production (and its attempt records start empty)."""
    settings.AXES_ENABLED = True
    return settings
