"""Every write of a complaint: intake, first contact, preparation, the site investigation and
experiments, the ruling, resolutions and their approval, follow-up, return visit, change of
person / place / time, escalation, merge and close (002 第五章; 000; 004).

Each function is one transaction that locks the case (through the case engine), checks the
actor's role and scope, writes the complaint, a line on the case's timeline and the audit log.
Stage changes go through ``cases.actions.move`` with the complaint workflow's requirements.
Nothing is deleted: a complaint ends done, closed with a reason, or merged into another.

One module per group of steps; everything is importable from here.
"""

from manyi.complaints.actions.changes import close, merge, reassign
from manyi.complaints.actions.common import MAX_AMOUNT, TOOLS
from manyi.complaints.actions.intake import escalate, open_complaint, repeat_count
from manyi.complaints.actions.resolutions import (
    approve_resolution,
    execute_resolution,
    propose_resolution,
    reject_resolution,
)
from manyi.complaints.actions.steps import (
    book_visit,
    log_call,
    log_follow_up,
    prepare,
    record_experiment,
    record_investigation,
    record_return_visit,
    rule,
)

__all__ = [
    "MAX_AMOUNT",
    "TOOLS",
    "approve_resolution",
    "book_visit",
    "close",
    "escalate",
    "execute_resolution",
    "log_call",
    "log_follow_up",
    "merge",
    "open_complaint",
    "prepare",
    "propose_resolution",
    "reassign",
    "record_experiment",
    "record_investigation",
    "record_return_visit",
    "reject_resolution",
    "repeat_count",
    "rule",
]
