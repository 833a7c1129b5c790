"""The survey benchmark, shortened, so the harness never rots.

Checks what the generator builds and runs the whole command once (parent, children, the
production server with the bench settings on a temp SQLite, a second of load per measure).
Never asserts a time: the figures are in bench/README.md.
"""

from __future__ import annotations

import json

from bench import survey_bench, survey_generate
from manyi.surveys.models import (
    Invitation,
    SurveyAnswer,
    SurveyFactorScore,
    SurveyResponse,
    SurveyRollup,
)


def test_columns_written_are_every_column_of_the_models():
    # A new column must be filled by the generator, or the bulk load breaks.
    for model, fields in (
        (Invitation, survey_generate.INVITATION_FIELDS),
        (SurveyResponse, survey_generate.RESPONSE_FIELDS),
        (SurveyFactorScore, survey_generate.FACTOR_FIELDS),
        (SurveyAnswer, survey_generate.ANSWER_FIELDS),
    ):
        names = {f.name for f in model._meta.concrete_fields if not f.primary_key}
        assert names <= set(fields), (model, names - set(fields))
        assert len(fields) == len(set(fields)), model


def test_generated_responses_are_consistent(db):
    from django.db.models import Sum

    from bench import generate

    generate.generate(1_000)
    result = survey_generate.generate_responses(2_000, seed=5)
    company = generate.ensure_org().company
    responses = SurveyResponse.objects.filter(company=company)
    assert responses.count() == 2_000
    assert result.instruments["csi"] > result.instruments["nps"] > result.instruments["csat"] > 0
    # Every answered invitation has its response; the others are sent and unanswered.
    answered = Invitation.objects.filter(company=company, answered_at__isnull=False)
    assert answered.count() == responses.filter(invitation__isnull=False).count()
    assert 0.3 < answered.count() / Invitation.objects.filter(company=company).count() < 0.6
    # Walk-ins are anonymous; cases name a technician of the outlet; campaigns ask the CSI.
    assert not responses.filter(source="walk_in", customer__isnull=False).exists()
    for r in responses.filter(source="case").select_related("technician")[:100]:
        assert r.technician.unit_id == r.unit_id
    assert not responses.filter(source="campaign").exclude(version__instrument__code="csi").exists()
    # The rollups were rebuilt from the rows.
    totals = SurveyRollup.objects.filter(company=company).aggregate(
        n=Sum("responses"), sent=Sum("sent")
    )
    assert totals == {"n": 2_000, "sent": Invitation.objects.filter(company=company).count()}
    csi = responses.filter(version__instrument__code="csi").first()
    assert SurveyFactorScore.objects.filter(response=csi).count() == 5
    assert SurveyAnswer.objects.filter(response=csi).count() >= 16


def test_command_line_run_on_sqlite(tmp_path, capsys):
    # The whole path: setup child, the production server with the baseline endpoint, load,
    # the bulk load, the server again, the checks; small and short, but what the full run does.
    code = survey_bench.main(
        [
            "--responses", "2500", "--customers", "1000", "--databases", "sqlite",
            "--seconds", "1", "--warmup", "0.5", "--concurrency", "2", "--workers", "1",
            "--workdir", str(tmp_path / "work"), "--results", str(tmp_path / "results"),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "results page" in out
    (path,) = (tmp_path / "results").glob("survey_bench-2500-*.json")
    result = json.loads(path.read_text(encoding="utf-8"))
    (run,) = result["runs"]
    assert run["check_empty"]["ok"] and run["check_full"]["ok"], run
    assert run["scale"]["ok"], run["scale"]
    assert run["check_empty"]["submitted"] > 0 and run["check_full"]["submitted"] > 0
    assert run["generation"]["responses"] == 2500
    assert set(run["measures"]) == set(survey_bench.LABELS)
    for name, pair in run["measures"].items():
        for side in ("baseline", "measure"):
            figures = pair[side]
            assert figures["ok"] > 0 and figures["ok"] == figures["requests"], (name, side)
            assert 0 < figures["p50"] <= figures["p95"], (name, side)
    assert result["machine"]["cpus"]

    # Measured again on the same database: no setup, no load, the same checks.
    code = survey_bench.main(
        [
            "--responses", "2500", "--databases", "sqlite", "--reuse",
            "--seconds", "0.5", "--warmup", "0", "--concurrency", "2", "--workers", "1",
            "--workdir", str(tmp_path / "work"), "--results", str(tmp_path / "again"),
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().out
    (path,) = (tmp_path / "again").glob("survey_bench-2500-*.json")
    (run,) = json.loads(path.read_text(encoding="utf-8"))["runs"]
    assert run["reused"] and run["responses"] > 2500
    assert run["check_full"]["ok"] and run["scale"]["ok"], run
    assert "submit_empty" not in run["measures"] and run["measures"]["submit_full"]["measure"]["ok"]
