"""Navigation by role: each user sees the menu entries their scope allows."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.org.scopes import Perm, scope_for

# The menu, in groups (a group shows only when it holds an entry the user may open).
_GROUPS = {
    "work": _("Service"),
    "satisfaction": _("Satisfaction"),
    "quality": _("Quality"),
    "people": pgettext_lazy("menu", "Team and improvement"),
    "reports": _("Reports"),
    "settings": _("Settings"),
}
_MENU = [
    ("work", "home", _("Home"), None),
    ("work", "cases:mine", _("My jobs"), Perm.WORK_CASES),
    ("work", "cases:queue", _("Work queue"), Perm.VIEW_CASES),
    # complaints (投诉): the list, and intake for the front line
    ("work", "complaints:list", _("Complaints"), Perm.VIEW_CASES),
    ("work", "complaints:intake", _("Take a complaint"), Perm.OPEN_CASES),
    ("work", "customers:list", _("Customers"), Perm.VIEW_CUSTOMERS),
    ("satisfaction", "surveys:campaigns", _("Surveys"), Perm.MANAGE_SURVEYS),
    ("satisfaction", "surveys:follow-ups", _("Survey follow-ups"), Perm.MANAGE_SURVEYS),
    # quality (003 stages 2 and 4): standards and audits; a mystery shopper sees only "My visits"
    ("quality", "quality:index", _("Service quality"), Perm.AUDIT_OUTLETS),
    ("quality", "quality:my-visits", _("My visits"), Perm.SHOP),
    # improvement (003 第五阶段): problems to solve, and one's own actions of the plans
    ("people", "improvement:list", _("Problems to solve"), Perm.RAISE_PROBLEMS),
    (
        "people",
        "improvement:actions",
        pgettext_lazy("improvement", "My actions"),
        Perm.RAISE_PROBLEMS,
    ),
    # team: assessments, training and certification, appraisals, scoreboards (everyone on staff)
    ("people", "team:home", _("Team"), Perm.VIEW_ORG),
    # insights: the cockpit first, then the analyses of the closed loop
    ("reports", "insights:cockpit", _("Cockpit"), Perm.VIEW_REPORTS),
    ("reports", "insights:loop", _("Loop closure"), Perm.VIEW_REPORTS),
    ("reports", "insights:gap", _("Service gap"), Perm.VIEW_REPORTS),
    ("reports", "insights:word-of-mouth", _("Word of mouth"), Perm.VIEW_REPORTS),
    ("reports", "insights:voice", _("Voice of the customer"), Perm.VIEW_REPORTS),
    ("reports", "insights:weekly", _("Weekly reports"), Perm.VIEW_REPORTS),
    ("reports", "complaint_analytics:index", _("Complaint analytics"), Perm.VIEW_REPORTS),
    ("reports", "survey_results:index", _("Survey results"), Perm.VIEW_REPORTS),
    ("settings", "org:units", _("Organisation"), Perm.VIEW_ORG),
    ("settings", "org:staff", _("Staff"), Perm.VIEW_ORG),
    ("settings", "org:audit", _("Audit log"), Perm.VIEW_AUDIT),
    ("settings", "calendars:index", _("Business calendar"), Perm.MANAGE_CALENDAR),
    ("settings", "instruments:list", _("Instruments"), Perm.MANAGE_INSTRUMENTS),
    ("settings", "notify:messages", _("Message delivery"), Perm.MANAGE_STAFF),
    # everyone chooses how they are told (the inbox links here too)
    ("settings", "notify:preferences", _("Notification settings"), None),
]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    path = request.path
    items = []
    groups: dict[str, dict] = {}
    for group, name, label, perm in _MENU:
        if perm is None or scope.can(perm):
            url = reverse(name)
            active = path == url if url == "/" else path.startswith(url)
            item = {"url": url, "label": label, "active": active}
            items.append(item)
            groups.setdefault(group, {"label": _GROUPS[group], "items": []})["items"].append(item)
    staff = getattr(user, "staff", None)
    from manyi.notify.models import Notification

    return {
        "nav_unread": Notification.objects.filter(user=user, read_at__isnull=True).count(),
        "nav_items": items,
        "nav_groups": list(groups.values()),
        "nav_scope": scope,
        "nav_display_name": staff.name if staff else user.get_username(),
        "nav_role": staff.get_role_display() if staff else "",
        "nav_unit": staff.unit.name if staff else "",
    }
