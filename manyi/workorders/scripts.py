"""The standard words (话术) staff see beside the form of the step they are on (002 第四章)."""

from __future__ import annotations

from manyi.workorders.models import Script, ScriptStep

# Which scripts belong beside which stage of the work order.
STEPS_FOR_STAGE = {
    "intake": [],
    "contact": [ScriptStep.FIRST_CALL, ScriptStep.LATER_CALL, ScriptStep.OBJECTIONS],
    "service": [ScriptStep.FIRST_VISIT, ScriptStep.LATER_CALL, ScriptStep.OBJECTIONS],
    "record": [ScriptStep.LAST_CALL],
    "acceptance": [ScriptStep.ACCEPTANCE, ScriptStep.OBJECTIONS],
    "archive": [],
    "return_visit": [ScriptStep.RETURN_VISIT],
}


def scripts_for(company_id: int, stage: str) -> list[Script]:
    """The scripts to show on a work order in ``stage`` (one query), each with ``filled``: its
    words with the company's name in place of the {公司} placeholder."""
    from manyi.workorders.seed_scripts import fill_company

    steps = STEPS_FOR_STAGE.get(stage) or []
    if not steps:
        return []
    scripts = list(
        Script.objects.filter(company_id=company_id, step__in=steps).select_related("company")
    )
    for script in scripts:
        script.filled = fill_company(script.body, script.company.name)
    return scripts
