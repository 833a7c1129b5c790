"""What other apps may hang on the case engine without the engine naming them.

``on_closed(fn)`` registers ``fn(case=…, actor=…, source=…, move=…)``; :func:`closed` calls each
one inside ``actions.move``'s transaction whenever a move lands on a closed stage (a work order
done, a complaint resolved), so what follows a closing — a satisfaction survey, a return to a
follow-up's owner — commits or rolls back with the move. A hook must not move the case again.
Register from an app's ``AppConfig.ready``; registering the same function twice keeps one.

``refuse_assignee(fn)`` registers ``fn(case, staff)``, which returns a message when ``staff`` may
not be made responsible for ``case`` (a complaint is never given to the person it is about);
every assignment — routing, a page, the API, a bulk hand-over — asks them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ClosedHook = Callable[..., None]

_ON_CLOSED: list[ClosedHook] = []


def on_closed(fn: ClosedHook) -> ClosedHook:
    """Call ``fn`` whenever a case reaches a closed stage (usable as a decorator)."""
    if fn not in _ON_CLOSED:
        _ON_CLOSED.append(fn)
    return fn


def closed(case: Any, actor: Any, *, source: str, move: str) -> None:
    """Tell every registered hook that ``case`` has just been closed by ``move``."""
    for fn in list(_ON_CLOSED):
        fn(case=case, actor=actor, source=source, move=move)


AssigneeCheck = Callable[[Any, Any], Any]

_REFUSE_ASSIGNEE: list[AssigneeCheck] = []


def refuse_assignee(fn: AssigneeCheck) -> AssigneeCheck:
    """Let ``fn(case, staff)`` refuse an assignee with a message (usable as a decorator)."""
    if fn not in _REFUSE_ASSIGNEE:
        _REFUSE_ASSIGNEE.append(fn)
    return fn


def refused_assignee(case: Any, staff: Any) -> Any:
    """The first refusal of ``staff`` as responsible for ``case``, or None."""
    for fn in list(_REFUSE_ASSIGNEE):
        message = fn(case, staff)
        if message:
            return message
    return None
