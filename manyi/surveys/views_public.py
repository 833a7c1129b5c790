"""The customer's pages: answer an invitation (``/s/<token>/``) or an outlet's QR code
(``/s/w/<token>/``). No login; Chinese; mobile first; light (one small stylesheet and script,
under 60 KB in all, measured by a test); plain HTML forms, so a scale needs no JavaScript.

Nothing of the customer is shown but the greeting name. A bad, expired, withdrawn or used link
gets a page saying so, never an error page. The token is the credential, so the forms carry no
CSRF token (a forged post would need the unguessable link itself).

An instrument whose paging is "one question per screen" is served one visible item at a time
(``?step=n``), each step saving the answers so far: the customer can leave and come back.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from manyi.errors import InvalidInput, NotFound
from manyi.instruments.answers import answers_from_form, clean_answers
from manyi.instruments.definition import Definition
from manyi.instruments.models import Paging
from manyi.instruments.render import answer_form
from manyi.instruments.scoring import visible_items
from manyi.surveys import answering
from manyi.surveys.actions import LinkUnusable, definition_of
from manyi.surveys.models import Invitation


def _closed(request: HttpRequest, message: Any, status: int) -> HttpResponse:
    return render(request, "surveys/public_closed.html", {"message": message}, status=status)


def _thanks(request: HttpRequest, *, again: bool = False, outlet: str = "") -> HttpResponse:
    return render(request, "surveys/public_thanks.html", {"again": again, "outlet": outlet})


def _steps(definition: Definition, answers: dict[str, Any]) -> list[str]:
    """The codes of the items shown for these answers, in order (one screen each)."""
    shown = visible_items(definition, answers)
    return [item.code for item in definition.items if item.code in shown]


def _step_number(raw: Any, steps: list[str], answers: dict[str, Any]) -> int:
    try:
        step = int(raw)
    except (TypeError, ValueError):
        # Resume at the first question not answered yet.
        step = next((i for i, code in enumerate(steps) if code not in answers), 0)
    return max(0, min(step, len(steps) - 1))


def _context(invitation: Invitation, definition: Definition, **extra: Any) -> dict[str, Any]:
    return {
        "greeting": invitation.greeting,
        "company": invitation.company.name,
        "outlet": invitation.unit.name,
        "title": invitation.version.instrument.name,
        "expires_at": invitation.expires_at,
        "action": reverse("survey_public:answer", args=[invitation.token]),
        "save_url": reverse("survey_public:save", args=[invitation.token]),
        **extra,
    }


@csrf_exempt
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The answer page of an invitation."""
    try:
        invitation = answering.find_invitation(token)
    except NotFound:
        return _closed(request, _("This survey link is not valid. Please check the link."), 404)
    if invitation.answered_at:
        return _thanks(request, again=True, outlet=invitation.unit.name)
    try:
        answering.check_open(invitation)
    except LinkUnusable as exc:
        return _closed(request, exc.message, 410)
    definition = definition_of(invitation.version)
    if definition.paging == Paging.ONE_PER_SCREEN:
        return _one_per_screen(request, invitation, definition)
    return _one_page(request, invitation, definition)


def _one_page(request: HttpRequest, invitation: Invitation, definition: Definition):
    errors: Any = {}
    status = 200
    saved = False
    if request.method == "GET":
        answering.mark_opened(invitation)
        answers = dict(invitation.partial)
    else:
        answers = answers_from_form(definition, request.POST)
        try:
            if request.POST.get("action") == "save":
                answering.save_partial(token=invitation.token, answers=answers)
                saved = True
            else:
                answering.submit_invitation(token=invitation.token, answers=answers)
                return _thanks(request, outlet=invitation.unit.name)
        except InvalidInput as exc:
            errors, status = exc.errors, 422
        except LinkUnusable as exc:
            return _closed(request, exc.message, 410)
    context = _context(
        invitation,
        definition,
        form=answer_form(definition, answers, errors),
        one_page=True,
        saved=saved,
        has_errors=bool(errors),
    )
    return render(request, "surveys/public_answer.html", context, status=status)


def _one_per_screen(request: HttpRequest, invitation: Invitation, definition: Definition):
    answers = dict(invitation.partial)
    if request.method == "GET":
        answering.mark_opened(invitation)
        steps = _steps(definition, answers)
        step = _step_number(request.GET.get("step"), steps, answers)
        return _render_step(request, invitation, definition, answers, steps, step)

    steps = _steps(definition, answers)
    step = _step_number(request.POST.get("step"), steps, {})
    code = steps[step]
    posted = answers_from_form(definition, request.POST)
    if code in posted:
        answers[code] = posted[code]
    else:
        answers.pop(code, None)
    action = request.POST.get("action") or "next"
    try:
        cleaned = clean_answers(definition, answers, partial=True)
    except InvalidInput as exc:
        if action == "back":
            return redirect(_step_url(invitation, step - 1))
        return _render_step(request, invitation, definition, answers, steps, step, exc.errors)
    item = definition.item(code)
    if action != "back" and item.required and code not in cleaned:
        message = _("Please answer this question.")
        return _render_step(request, invitation, definition, answers, steps, step, {code: message})
    try:
        answering.save_partial(token=invitation.token, answers=cleaned)
    except LinkUnusable as exc:
        return _closed(request, exc.message, 410)
    steps = _steps(definition, cleaned)
    if action == "back":
        return redirect(_step_url(invitation, max(0, steps.index(code) - 1)))
    position = steps.index(code) if code in steps else step
    if position + 1 < len(steps):
        return redirect(_step_url(invitation, position + 1))
    try:
        answering.submit_invitation(token=invitation.token, answers=cleaned)
    except InvalidInput as exc:
        # A required question left behind (skipped with "back"): go back to it.
        missing = next((f for f, _m in exc.errors if f in steps), None)
        target = steps.index(missing) if missing else position
        return _render_step(
            request, invitation, definition, cleaned, steps, target, dict(exc.errors)
        )
    except LinkUnusable as exc:
        return _closed(request, exc.message, 410)
    return _thanks(request, outlet=invitation.unit.name)


def _step_url(invitation: Invitation, step: int) -> str:
    return reverse("survey_public:answer", args=[invitation.token]) + f"?step={max(0, step)}"


def _render_step(
    request: HttpRequest,
    invitation: Invitation,
    definition: Definition,
    answers: dict[str, Any],
    steps: list[str],
    step: int,
    errors: Any = None,
) -> HttpResponse:
    code = steps[step]
    context = _context(
        invitation,
        definition,
        form=answer_form(definition, answers, errors, only=[code]),
        one_page=False,
        step=step,
        step_number=step + 1,
        step_count=len(steps),
        percent=int(step * 100 / len(steps)),
        last=step == len(steps) - 1,
        has_errors=bool(errors),
    )
    return render(request, "surveys/public_answer.html", context, status=422 if errors else 200)


@csrf_exempt
@require_http_methods(["POST"])
def save(request: HttpRequest, token: str) -> HttpResponse:
    """Keep what a one-page form holds so far (the page's script calls this as answers change;
    without JavaScript the "save for later" button does the same)."""
    try:
        invitation = answering.find_invitation(token)
        definition = definition_of(invitation.version)
        answering.save_partial(token=token, answers=answers_from_form(definition, request.POST))
    except (NotFound, LinkUnusable, InvalidInput):
        return HttpResponse(status=400)
    return HttpResponse(status=204)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def walk_in(request: HttpRequest, token: str) -> HttpResponse:
    """An outlet's walk-in feedback page (its QR code): anonymous, or with a phone to call."""
    try:
        point = answering.find_walk_in(token)
    except NotFound:
        return _closed(request, _("This QR code is no longer in use. Thank you all the same."), 404)
    definition = definition_of(point.version)
    errors: Any = {}
    status = 200
    phone = ""
    if request.method == "GET":
        answers: dict[str, Any] = {}
        submit_key = secrets.token_urlsafe(24)
    else:
        answers = answers_from_form(definition, request.POST)
        phone = request.POST.get("phone", "")[:30]
        submit_key = request.POST.get("submit_key", "")[:64]
        try:
            answering.submit_walk_in(
                token=token, answers=answers, phone=phone, submit_key=submit_key
            )
        except InvalidInput as exc:
            errors, status = exc.errors, 422
        else:
            return _thanks(request, outlet=point.unit.name)
    phone_error = next((m for f, m in errors if f == "phone"), None) if errors else None
    context = {
        "company": point.company.name,
        "outlet": point.unit.name,
        "title": point.version.instrument.name,
        "action": reverse("survey_public:walk-in", args=[token]),
        "form": answer_form(definition, answers, errors),
        "one_page": True,
        "walk_in": True,
        "ask_phone": point.ask_phone,
        "phone": phone,
        "phone_error": phone_error,
        "submit_key": submit_key,
        "has_errors": bool(errors),
    }
    return render(request, "surveys/public_answer.html", context, status=status)
