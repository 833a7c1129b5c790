"""The customer confirms the service record with a one-time code texted to their phone."""

import re

import pytest
import time_machine

from manyi.cases import actions as cases
from manyi.cases.models import EventKind
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.notify import sms
from manyi.workorders import actions
from manyi.workorders.models import SignoffMethod
from manyi.workorders.pdf import service_record_pdf
from manyi.workorders.tests.test_workflow import _to_contact, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_record(order, world, licensed, django_capture_on_commit_callbacks):
    case = _to_contact(order, world, licensed)
    with time_machine.travel(at(2026, 2, 24, 9, 0), tick=False):
        cases.log_call(actor=licensed, case=case, outcome="reached")
        actions.set_first_visit(actor=licensed, case=case, at=at(2026, 2, 26, 9, 0))
        case = cases.move(actor=licensed, case=case, move="contacted", version=case.version)
        actions.log_visit(actor=licensed, case=case, step="底漆")
        return cases.move(actor=licensed, case=case, move="hand_in", version=case.version)


def _send(actor, case, captured):
    with captured(execute=True):
        masked = actions.send_signoff_code(actor=actor, case=case)
    to, body = sms.outbox[-1]
    # six digits, not the tail of the case number (FW-2026-000001)
    return masked, to, re.search(r"(?<![\d-])\d{6}(?!\d)", body).group()


def test_code_confirms_and_freezes_the_record(
    in_record,
    licensed,
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(at(2026, 2, 26, 11, 0), tick=False):
        masked, to, code = _send(licensed, in_record, django_capture_on_commit_callbacks)
        assert to == in_record.customer.phone and masked == to[:3] + "****" + to[-4:]
        assert in_record.number in sms.outbox[-1][1]
    with time_machine.travel(at(2026, 2, 26, 11, 5), tick=False):
        signed = actions.sign_record(
            actor=licensed, case=in_record, signer_name="王小明", evaluation="satisfied", code=code
        )
    assert signed.signoff_method == SignoffMethod.SMS_CODE
    assert signed.signature_id is None and len(signed.signed_hash) == 64
    assert signed.signoff_code_hash == ""  # used up
    event = in_record.events.filter(kind=EventKind.SIGNATURE).get()
    assert event.data["method"] == "sms_code" and event.data["phone"] == masked
    with pytest.raises(Conflict):  # signing twice
        actions.sign_record(
            actor=licensed, case=in_record, signer_name="王小明", evaluation="satisfied", code=code
        )
    assert "%PDF" in service_record_pdf(in_record)[:8].decode("latin-1")
    # the record can go on to acceptance
    case = cases.move(actor=licensed, case=in_record, move="submit", version=in_record.version)
    assert case.stage == "acceptance"


def test_wrong_codes_are_counted_and_stop_after_five(
    in_record,
    licensed,
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(at(2026, 2, 26, 11, 0), tick=False):
        _masked, _to, code = _send(licensed, in_record, django_capture_on_commit_callbacks)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(5):
            with pytest.raises(InvalidInput) as caught:
                actions.sign_record(
                    actor=licensed,
                    case=in_record,
                    signer_name="王小明",
                    evaluation="satisfied",
                    code=wrong,
                )
            assert caught.value.field_errors()[0][0] == "code"
        in_record.workorder.refresh_from_db()
        assert in_record.workorder.signoff_code_attempts == 5
        with pytest.raises(InvalidInput, match="错误次数过多"):  # even the right code now
            actions.sign_record(
                actor=licensed, case=in_record, signer_name="王", evaluation="satisfied", code=code
            )
    in_record.workorder.refresh_from_db()
    assert in_record.workorder.signed_at is None


def test_code_expires_after_ten_minutes(
    in_record,
    licensed,
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(at(2026, 2, 26, 11, 0), tick=False):
        _masked, _to, code = _send(licensed, in_record, django_capture_on_commit_callbacks)
    with time_machine.travel(at(2026, 2, 26, 11, 10, 1), tick=False):
        with pytest.raises(InvalidInput, match="过期"):
            actions.sign_record(
                actor=licensed, case=in_record, signer_name="王", evaluation="satisfied", code=code
            )


def test_one_code_a_minute_and_a_new_code_replaces_the_old(
    in_record,
    licensed,
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(at(2026, 2, 26, 11, 0), tick=False):
        _masked, _to, first = _send(licensed, in_record, django_capture_on_commit_callbacks)
        with pytest.raises(Conflict):
            actions.send_signoff_code(actor=licensed, case=in_record)
    with time_machine.travel(at(2026, 2, 26, 11, 1, 1), tick=False):
        _masked, _to, second = _send(licensed, in_record, django_capture_on_commit_callbacks)
        if first != second:
            with pytest.raises(InvalidInput, match="不正确"):
                actions.sign_record(
                    actor=licensed,
                    case=in_record,
                    signer_name="王",
                    evaluation="satisfied",
                    code=first,
                )
        signed = actions.sign_record(
            actor=licensed, case=in_record, signer_name="王", evaluation="satisfied", code=second
        )
    assert signed.signed_at is not None


def test_no_code_before_the_record_stage_or_for_others(order, world):
    with pytest.raises(Conflict):
        actions.send_signoff_code(actor=world.manager, case=order)
    with pytest.raises(NotFound):
        actions.send_signoff_code(actor=world.south_manager, case=order)
    assert sms.outbox == []


def test_code_must_be_six_digits_and_sent_first(in_record, licensed):
    with pytest.raises(InvalidInput, match="六位数字"):
        actions.sign_record(
            actor=licensed, case=in_record, signer_name="王", evaluation="satisfied", code="12ab"
        )
    with pytest.raises(InvalidInput, match="请先向客户发送"):
        actions.sign_record(
            actor=licensed, case=in_record, signer_name="王", evaluation="satisfied", code="123456"
        )


def test_code_sign_off_through_the_api(
    client,
    in_record,
    licensed,
    django_capture_on_commit_callbacks,
):
    from conftest import assert_problem, auth, send

    headers = auth(licensed)
    url = f"/api/v1/work-orders/{in_record.pk}"
    with time_machine.travel(at(2026, 2, 26, 11, 0), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = send(client, "post", url + "/sign-off-code", headers)
        assert response.status_code == 200, response.content
        assert response.json()["sent_to"].count("*") == 4
        code = re.search(r"(?<![\d-])\d{6}(?!\d)", sms.outbox[-1][1]).group()
        body = {"signer_name": "王小明", "evaluation": "satisfied"}
        assert_problem(send(client, "post", url + "/sign", headers, body), 422)
        wrong = {**body, "code": f"{(int(code) + 1) % 10**6:06d}"}
        problem = assert_problem(send(client, "post", url + "/sign", headers, wrong), 422)
        assert problem["errors"][0]["field"] == "code"
        response = send(client, "post", url + "/sign", headers, {**body, "code": code})
    assert response.status_code == 200, response.content
    work_order = response.json()["work_order"]
    assert work_order["signoff_method"] == "sms_code" and work_order["signature_sha256"] is None


def test_code_button_on_the_case_page(
    client,
    in_record,
    licensed,
    django_capture_on_commit_callbacks,
):
    client.force_login(licensed)
    page = client.get(f"/cases/{in_record.pk}/")
    assert f"/work-orders/{in_record.pk}/sign-off-code/" in page.content.decode()
    with time_machine.travel(at(2026, 2, 26, 11, 0), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/work-orders/{in_record.pk}/sign-off-code/", HTTP_HX_REQUEST="true"
            )
        assert response.status_code == 200
        assert "****" in response.content.decode() and len(sms.outbox) == 1
        # a second press within the minute: the refusal is shown in place, nothing sent
        response = client.post(
            f"/work-orders/{in_record.pk}/sign-off-code/", HTTP_HX_REQUEST="true"
        )
        assert 'role="alert"' in response.content.decode() and len(sms.outbox) == 1
        code = re.search(r"(?<![\d-])\d{6}(?!\d)", sms.outbox[-1][1]).group()
        response = client.post(
            f"/work-orders/{in_record.pk}/sign/",
            {
                "version": in_record.version,
                "signer_name": "王小明",
                "evaluation": "satisfied",
                "code": code,
            },
        )
    assert response.status_code == 302
    in_record.workorder.refresh_from_db()
    assert in_record.workorder.signoff_method == "sms_code"
