"""The ``manyi`` command, run in-process: token, import customers, export customers, --help."""

import csv
import io

import pytest
from openpyxl import load_workbook

from manyi.cli import main
from manyi.customers.models import Customer
from manyi.org import actions
from manyi.org.models import ApiToken, Industry, UnitKind

HEADER = ["姓名", "手机号", "门店编码", "关系等级", "标签", "同意联系", "产品", "购买日期"]
ROWS = [
    ["王小明", "13812345678", "E1", "proactive", "VIP", "是", "面漆", "2024-07-01"],
    ["李小红", "13900000002", "E2", "", "", "否", "", ""],
]


@pytest.fixture(autouse=True)
def _keep_logging(monkeypatch):
    # main() calls django.setup(), which would point the log handlers at this test's captured
    # stderr; later tests would then log into a closed file. Logging is configured already.
    monkeypatch.setattr("django.utils.log.configure_logging", lambda *args, **kwargs: None)


def run(capsys, *argv):
    """Run the command; returns (exit code or message, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_csv(path, rows=ROWS, header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return str(path)


# -- token ---------------------------------------------------------------------------------------


def test_token_prints_a_token_that_authenticates(client, world, capsys):
    code, out, _err = run(capsys, "token", "head", "--name", "nightly")
    assert code == 0
    raw = out.strip()
    assert raw.startswith("manyi_")
    assert ApiToken.objects.get(user=world.head).name == "nightly"
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["username"] == "head"


def test_token_for_unknown_user_exits_with_a_message(world, capsys):
    code, _out, _err = run(capsys, "token", "nobody")
    assert isinstance(code, str)
    assert "nobody" in code
    assert not ApiToken.objects.exists()


def test_token_limit_exits_with_a_message(world, capsys):
    for i in range(20):
        actions.create_api_token(user=world.rep, name=f"t{i}")
    code, out, _err = run(capsys, "token", "rep")
    assert isinstance(code, str) and "20" in code
    assert out == ""
    assert ApiToken.objects.filter(user=world.rep).count() == 20


# -- import --------------------------------------------------------------------------------------


def test_import_customers_prints_counts(world, tmp_path, capsys):
    code, out, _err = run(
        capsys, "import", "customers", write_csv(tmp_path / "c.csv"), "--user", "head"
    )
    assert code == 0
    assert "rows 2, created 2, updated 0, purchases 1, errors 0" in out
    assert set(Customer.objects.values_list("name", flat=True)) == {"王小明", "李小红"}

    code, out, _err = run(capsys, "import", "customers", str(tmp_path / "c.csv"), "--user", "head")
    assert code == 0
    assert "rows 2, created 0, updated 2, purchases 0, errors 0" in out
    assert Customer.objects.count() == 2


def test_import_with_bad_rows_lists_them_and_exits_1(world, tmp_path, capsys):
    rows = [*ROWS, ["坏电话", "12345", "E1", "", "", "", "", ""], ["", "13900000004", "E1"]]
    path = write_csv(tmp_path / "c.csv", rows)
    code, out, _err = run(
        capsys, "import", "customers", path, "--user", "head", "--show-errors", "1"
    )
    assert code == 1
    assert "created 2" in out and "errors 2" in out
    assert "row 4 [phone]" in out
    assert "… 1 more" in out
    assert Customer.objects.count() == 2


def test_import_with_default_outlet(world, tmp_path, capsys):
    path = write_csv(tmp_path / "c.csv", [["王五", "13812345678"]], header=["姓名", "手机号"])
    code, out, _err = run(
        capsys, "import", "customers", path, "--user", "manager", "--outlet", "E1"
    )
    assert code == 0, out
    assert Customer.objects.get().home_outlet == world.east1


def test_outlet_option_finds_the_users_own_outlet_when_codes_repeat(world, tmp_path, capsys):
    # Outlet codes are unique per company, not across companies: "E1" may exist twice.
    actions.create_unit(
        actor=world.other_head,
        parent=world.other_outlet.parent,
        kind=UnitKind.OUTLET,
        code="E1",
        name="别家E1店",
        industry=Industry.OTHER,
    )
    path = write_csv(tmp_path / "c.csv", [["王五", "13812345678"]], header=["姓名", "手机号"])
    for username, company in (("head", world.company), ("other_head", world.other_company)):
        code, out, _err = run(
            capsys, "import", "customers", path, "--user", username, "--outlet", "E1"
        )
        assert code == 0, (username, code)
        customer = Customer.objects.get(company=company)
        assert customer.home_outlet.code == "E1"
        assert customer.home_outlet.company_id == company.pk


def test_import_of_unreadable_file_exits_with_a_message(world, tmp_path, capsys):
    bad = tmp_path / "renamed.xlsx"
    bad.write_bytes(b"definitely not a workbook")
    code, out, _err = run(capsys, "import", "customers", str(bad), "--user", "head")
    assert isinstance(code, str)
    assert code.startswith("manyi: ")
    assert "xlsx" in code.lower()
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["missing.csv", "--user", "head"], "missing.csv"),
        (["{csv}", "--user", "nobody"], "nobody"),
        (["{csv}", "--user", "head", "--outlet", "NOPE"], "NOPE"),
        (["{csv}", "--user", "sales"], "manyi: "),
        (["{csv}", "--user", "manager", "--outlet", "S1"], "manyi: "),
    ],
)
def test_import_refusals_exit_with_a_message(world, tmp_path, capsys, argv, expected):
    path = write_csv(tmp_path / "c.csv")
    argv = [a.replace("{csv}", path) if a != "missing.csv" else str(tmp_path / a) for a in argv]
    code, _out, _err = run(capsys, "import", "customers", *argv)
    assert isinstance(code, str), code
    assert expected in code
    assert not Customer.objects.exists()


# -- export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_customers_writes_a_file(world, make_customer, tmp_path, capsys, suffix):
    make_customer(name="王小明", phone="13812345678")
    make_customer(name="天河客", outlet=world.south1)
    out_path = tmp_path / f"out{suffix}"
    code, out, _err = run(capsys, "export", "customers", str(out_path), "--user", "head")
    assert code == 0
    assert f"2 customers written to {out_path}" in out
    if suffix == ".xlsx":
        rows = list(load_workbook(out_path, read_only=True).worksheets[0].values)
    else:
        rows = list(csv.reader(io.StringIO(out_path.read_text(encoding="utf-8-sig"))))
    assert list(rows[0][:2]) == ["姓名", "手机号"]
    assert {row[1] for row in rows[1:]} >= {"13812345678"}
    assert len(rows) == 3


def test_export_as_manager_is_scoped(world, make_customer, tmp_path, capsys):
    make_customer(name="王小明")
    make_customer(name="天河客", outlet=world.south1)
    code, out, _err = run(
        capsys, "export", "customers", str(tmp_path / "o.csv"), "--user", "manager"
    )
    assert code == 0
    assert "1 customers written" in out


@pytest.mark.parametrize(
    ("name", "user"), [("out.xlsx", "analyst"), ("out.json", "head"), ("out.xlsx", "nobody")]
)
def test_export_refusals_exit_with_a_message(world, make_customer, tmp_path, capsys, name, user):
    make_customer()
    out_path = tmp_path / name
    code, _out, _err = run(capsys, "export", "customers", str(out_path), "--user", user)
    assert isinstance(code, str) and code.startswith("manyi: ")
    assert not out_path.exists()


# -- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["serve", "--help"],
        ["demo", "--help"],
        ["createadmin", "--help"],
        ["token", "--help"],
        ["import", "--help"],
        ["import", "customers", "--help"],
        ["export", "--help"],
        ["export", "customers", "--help"],
    ],
)
def test_help_of_every_command(capsys, argv):
    code, out, _err = run(capsys, *argv)
    assert code == 0
    assert out.startswith("usage: manyi")
    if argv[-2:] == ["customers", "--help"]:
        assert "--user" in out


def test_missing_command_is_a_usage_error(capsys):
    code, _out, err = run(capsys)
    assert code == 2
    assert "usage: manyi" in err
