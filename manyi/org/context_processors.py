"""Navigation by role: each user sees the menu entries their scope allows."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.org.scopes import Perm, scope_for

_MENU = [
    ("home", _("Home"), None),
    ("cases:mine", _("My jobs"), Perm.WORK_CASES),
    ("cases:queue", _("Work queue"), Perm.VIEW_CASES),
    # complaints (投诉): the list, and intake for the front line
    ("complaints:list", _("Complaints"), Perm.VIEW_CASES),
    ("complaints:intake", _("Take a complaint"), Perm.OPEN_CASES),
    ("customers:list", _("Customers"), Perm.VIEW_CUSTOMERS),
    ("org:units", _("Organisation"), Perm.VIEW_ORG),
    ("org:staff", _("Staff"), Perm.VIEW_ORG),
    ("org:audit", _("Audit log"), Perm.VIEW_AUDIT),
    ("calendars:index", _("Business calendar"), Perm.MANAGE_CALENDAR),
    ("instruments:list", _("Instruments"), Perm.MANAGE_INSTRUMENTS),
    ("surveys:campaigns", _("Surveys"), Perm.MANAGE_SURVEYS),
    ("surveys:follow-ups", _("Survey follow-ups"), Perm.MANAGE_SURVEYS),
    ("complaint_analytics:index", _("Complaint analytics"), Perm.VIEW_REPORTS),
    ("survey_results:index", _("Survey results"), Perm.VIEW_REPORTS),
    # improvement (003 第五阶段): problems to solve, and one's own actions of the plans
    ("improvement:list", _("Problems to solve"), Perm.RAISE_PROBLEMS),
    ("improvement:actions", pgettext_lazy("improvement", "My actions"), Perm.RAISE_PROBLEMS),
    # team: assessments, training and certification, appraisals, scoreboards (everyone on staff)
    ("team:home", _("Team"), Perm.VIEW_ORG),
    # quality (003 stages 2 and 4): standards and audits; a mystery shopper sees only "My visits"
    ("quality:index", _("Service quality"), Perm.AUDIT_OUTLETS),
    ("quality:my-visits", _("My visits"), Perm.SHOP),
]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    path = request.path
    items = []
    for name, label, perm in _MENU:
        if perm is None or scope.can(perm):
            url = reverse(name)
            active = path == url if url == "/" else path.startswith(url)
            items.append({"url": url, "label": label, "active": active})
    staff = getattr(user, "staff", None)
    from manyi.notify.models import Notification

    return {
        "nav_unread": Notification.objects.filter(user=user, read_at__isnull=True).count(),
        "nav_items": items,
        "nav_scope": scope,
        "nav_display_name": staff.name if staff else user.get_username(),
        "nav_role": staff.get_role_display() if staff else "",
        "nav_unit": staff.unit.name if staff else "",
    }
