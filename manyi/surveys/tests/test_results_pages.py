"""The survey results pages: figures and charts, filters in the URL, htmx, Excel exports read
back, the comments behind a theme, refusals, the query budget."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from manyi.org.models import AuditAction, AuditEntry
from manyi.surveys import answering, settings_actions

from .test_results_figures import fixed  # noqa: F401 - the fixed data set

URL = reverse("survey_results:index")


def login(client, user):
    client.force_login(user)
    return client


def chart_json(response) -> dict:
    html = response.content.decode()
    start = html.index('id="survey-results-data"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def test_the_page_shows_the_figures_and_the_chart_data(client, fixed, world):  # noqa: F811
    login(client, world.head)
    response = client.get(URL, {"instrument": fixed["nps"].instrument_id})
    assert response.status_code == 200
    html = response.content.decode()
    assert "+25.0" in html  # NPS
    assert "78.8" in html  # the mean index
    assert "上海徐汇店" in html and "广州天河店" in html
    assert 'src="/static/vendor/echarts.min.js"' in html
    assert "<script>" not in html.replace('<script src="', "")  # no inline script
    data = chart_json(response)
    assert data["nps_split"]["values"] == [4, 2, 2]
    assert data["months"][-1] == "2026-11"
    assert data["trend"]["bars"]["data"][-1] == 8
    assert data["outlets"]["average"] == pytest.approx(78.8)


def test_the_csi_page_shows_factors_strengths_and_themes(client, fixed, world):  # noqa: F811
    login(client, world.head)
    response = client.get(URL, {"instrument": fixed["csi"].instrument_id})
    html = response.content.decode()
    assert response.status_code == 200
    assert "服务质量" in html and 'data-chart="factors"' in html
    assert "66.7%" in html  # the response rate, 2 of 3
    assert 'id="weaknesses"' in html
    data = chart_json(response)
    assert data["factors"]["labels"][-1] == "服务质量"
    assert data["factors"]["values"][-1] == pytest.approx(83.3)
    themes_url = reverse("survey_results:comments")
    assert f"{themes_url}?" in html and "word=%E4%BA%A4%E8%BD%A6" in html  # 交车


def test_filters_stay_in_the_url_and_htmx_gets_the_body_only(client, fixed, world):  # noqa: F811
    login(client, world.head)
    params = {"instrument": fixed["nps"].instrument_id, "unit": world.south.pk}
    response = client.get(URL, params, headers={"HX-Request": "true", "HX-Target": "results-body"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "广州天河店" in html and "上海徐汇店" not in html
    assert f"unit={world.south.pk}" in html  # export links carry the filters


def test_bad_filters_are_shown_next_to_the_form(client, fixed, world):  # noqa: F811
    login(client, world.head)
    response = client.get(URL, {"from": "2026-13", "unit": "abc"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="err_from"' in html and 'id="err_unit"' in html


def test_the_export_reads_back_with_every_table(client, fixed, world):  # noqa: F811
    from python_calamine import CalamineWorkbook

    login(client, world.head)
    response = client.get(
        URL, {"instrument": fixed["nps"].instrument_id, "export": "xlsx", "table": "all"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert len(book.sheet_names) == 10  # nine tables and "about"
    outlets = book.get_sheet_by_index(2).to_python()
    header, *rows = outlets
    assert header[0] == "门店"
    by_name = {row[0]: row for row in rows}
    nps_col = header.index("NPS")
    assert by_name["广州天河店"][nps_col] == pytest.approx(200 / 3)
    assert by_name["上海徐汇店"][header.index("回复数")] == 5
    themes = book.get_sheet_by_index(8).to_python()
    assert ["等待时间", 2] in [row[2:] for row in themes[1:]]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_a_name_that_looks_like_a_formula_stays_text(
    client, frozen, world, consenting, campaign_data
):
    from manyi.surveys import actions
    from manyi.surveys.models import Invitation

    from .conftest import CSI_ALL_FIVES

    consenting()
    campaign = actions.create_campaign(
        actor=world.head,
        data=campaign_data(name="=HYPERLINK(1)", target={"outlets": [world.east1.pk]}),
    )
    actions.launch_campaign(actor=world.head, campaign=campaign)
    actions.send_due_invitations()
    token = Invitation.objects.get(campaign=campaign).token
    answering.submit_invitation(token=token, answers=CSI_ALL_FIVES)
    login(client, world.head)
    response = client.get(URL, {"export": "xlsx", "table": "by_campaign"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_one_table_exports_alone_and_unknown_tables_are_refused(client, fixed, world):  # noqa: F811
    from python_calamine import CalamineWorkbook

    login(client, world.head)
    response = client.get(URL, {"export": "xlsx", "table": "by_region"})
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["按片区", "说明"]
    response = client.get(URL, {"export": "xlsx", "table": "nope"})
    assert response.status_code in (400, 422)
    response = client.get(URL, {"export": "csv"})
    assert response.status_code in (400, 422)


def test_the_comments_of_a_theme(client, fixed, world):  # noqa: F811
    login(client, world.head)
    url = reverse("survey_results:comments")
    response = client.get(
        url, {"instrument": fixed["nps"].instrument_id, "item": "reason", "word": "价格"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "等待时间太长，价格太贵" in html and "师傅专业" not in html
    response = client.get(url, {"instrument": fixed["nps"].instrument_id, "item": "recommend"})
    assert response.status_code in (400, 422)  # not a free-text question


def test_a_south_manager_sees_only_south(client, fixed, world):  # noqa: F811
    login(client, world.south_manager)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "广州天河店" in html and "上海徐汇店" not in html and "华东片区" not in html
    response = client.get(URL, {"unit": world.east1.pk})
    assert response.status_code == 422
    url = reverse("survey_results:comments")
    response = client.get(url, {"item": "reason", "word": "等待时间"})
    assert "等待时间太长" not in response.content.decode()


@pytest.mark.parametrize("name", ["tech", "sales", "auditor", "outsider"])
def test_readers_without_reports_are_refused(client, fixed, world, name):  # noqa: F811
    login(client, world.users[name])
    assert client.get(URL).status_code == 403
    assert client.get(reverse("survey_results:comments"), {"item": "reason"}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_menu_offers_results_to_readers_of_reports(client, fixed, world):  # noqa: F811
    login(client, world.analyst)
    assert URL in client.get(reverse("home")).content.decode()
    client.logout()
    login(client, world.tech)
    assert URL not in client.get(reverse("home")).content.decode()


def test_an_empty_scope_says_so(client, world):
    login(client, world.head)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="no-answers"' in response.content.decode()


def test_the_page_costs_the_same_few_queries_with_more_data(
    client,
    fixed,  # noqa: F811
    world,
    version,
    django_assert_max_num_queries,
):
    login(client, world.head)
    params = {"instrument": fixed["nps"].instrument_id}
    client.get(URL, params)  # warm the per-request caches (session, user)
    with django_assert_max_num_queries(30) as first:
        client.get(URL, params)
    for outlet in (world.east2, world.south1):
        point = settings_actions.save_walk_in_point(
            actor=world.head, unit=outlet, version=version("nps").pk
        )
        for value in range(11):
            answering.submit_walk_in(
                token=point.token, answers={"recommend": value, "reason": f"第{value}次很好"}
            )
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(URL, params)
