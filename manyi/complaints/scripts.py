"""The words beside each complaint step: emotion first, then facts.

Intake shows the three steps of dealing with the customer's feelings (001 §5.5: express
willingness, acknowledge feelings, take ownership) with the front line's phrases of 002 第六章
一; the technician's calls use 002 第六章 二; the site visit the three skills of 001 §5.6
(communicate, check understanding, propose); the close the emotional follow-up (002 第五章 七)
and 000's tips. They are fixed texts, translated like the rest of the interface.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Script:
    title: Promise
    lines: tuple[Promise, ...]
    source: str


INTAKE = (
    Script(
        _("1. Express your willingness to help"),
        (
            _("Show the customer you are glad to help; they judge the company by your attitude."),
            _("“Don't worry, I will contact our technician right away.”"),
        ),
        "001 §5.5 · 002 第六章",
    ),
    Script(
        _("2. Acknowledge the customer's feelings"),
        (
            _("Let the customer say everything; listen to the end without interrupting."),
            _("“I am very sorry this happened; I understand how upsetting it is.”"),
        ),
        "001 §5.5 · 000",
    ),
    Script(
        _("3. Take ownership"),
        (
            _("Give your name, say “I”, not “we”, and keep your word."),
            _(
                "“I will make sure it is handled: our technician will call you within "
                "%(hours)s hours and come to see it with you.”"
            ),
        ),
        "001 §5.5 · 002 第六章",
    ),
    Script(
        _("Do not"),
        (
            _(
                "Give no technical explanation and ask no technical questions; say nothing "
                "about compensation or who is to blame."
            ),
        ),
        "002 第五章",
    ),
)

FIRST_CONTACT = (
    Script(
        _("Calling the customer"),
        (
            _(
                "“Hello, I am %(company)s's technician XXX. I have just been told about it — "
                "could you tell me what happened?”"
            ),
            _("“When are you free? Let's look at it on site together.”"),
            _("“Please don't worry, we will do our best to solve it for you.”"),
        ),
        "002 第六章 二",
    ),
    Script(
        _("Calling the installer"),
        (
            _(
                "“Hello, Master XX? There is a small problem at XX's place; I'd like to discuss "
                "with you how to handle it.”"
            ),
            _("“Let's meet on site at XX and agree on a way to solve it.”"),
        ),
        "002 第六章 二",
    ),
    Script(
        _("Before the site visit"),
        (_("No answer on compensation or responsibility until you have seen the site."),),
        "002 第五章 二",
    ),
)

INVESTIGATION = (
    Script(
        _("At the site"),
        (
            _("Solution first, cause second: propose the cheapest remedy that solves it."),
            _("Then analyse the cause together and let the customer see it for themselves."),
            _("Check understanding: “Have I understood you correctly? Is this workable?”"),
        ),
        "002 第五章 四 · 001 §5.6",
    ),
    Script(
        _("Construction experiment"),
        (
            _("Agree on the purpose first; use unopened material and your own tools."),
            _("Follow the company's mix ratio and procedure; watch that nothing interferes."),
        ),
        "002 第五章 五",
    ),
)

RULING = (
    Script(
        _("Settling it"),
        (
            _("Ours: agree a remedy the customer accepts and carry it out fast."),
            _("The installer's: offer technical help and material; keep the relationship."),
            _("Shared: take our share willingly and propose the solution ourselves."),
            _("Act within your authority; promise nothing beyond it."),
        ),
        "002 第五章 六 · 004",
    ),
)

FOLLOW_UP = (
    Script(
        _("The emotional follow-up"),
        (
            _("Call once the problem is solved: thank the customer and ask how it is now."),
            _(
                "“Thank you for telling us; it helps us improve. If anything else comes up, "
                "call me directly.”"
            ),
        ),
        "002 第五章 七 · 000",
    ),
)

ABOUT_STAFF = Script(
    _("A complaint about our staff"),
    (
        _(
            "Thank the customer for the criticism and pass it to management; do not defend "
            "the colleague."
        ),
    ),
    "002 第六章",
)

ABOUT_INSTALLER = Script(
    _("A complaint about the installer"),
    (_("Explain, as far as you can, from the installer's side of the work."),),
    "002 第六章",
)

BY_STAGE = {
    "first_contact": FIRST_CONTACT,
    "preparation": INVESTIGATION[:1],
    "investigation": INVESTIGATION,
    "ruling": RULING,
    "resolution": RULING,
    "follow_up": FOLLOW_UP,
    "return_visit": FOLLOW_UP,
}


def intake_care(company_name: str, hours) -> list[dict]:
    """The care script beside the intake form, with the company's first-contact deadline."""
    values = {"company": company_name, "hours": f"{hours.normalize():f}"}
    return [
        {
            "title": str(script.title),
            "lines": [str(line) % values for line in script.lines],
            "source": script.source,
        }
        for script in INTAKE
    ]


def scripts_for(
    stage: str, company_name: str, *, about_staff: bool = False, installer: bool = False
) -> list[dict]:
    """The words for a complaint at ``stage`` (with the company's name filled in)."""
    found = [*BY_STAGE.get(stage, ())]
    if about_staff and stage in ("first_contact", "investigation"):
        found.append(ABOUT_STAFF)
    if installer and stage in ("investigation", "ruling"):
        found.append(ABOUT_INSTALLER)
    return [
        {
            "title": str(script.title),
            "lines": [str(line) % {"company": company_name} for line in script.lines],
            "source": script.source,
        }
        for script in found
    ]
