"""The ``manyi`` command: serve, demo, createadmin, token, import and export customers, backup
and restore.

Each sub-command is a thin wrapper around the same actions the pages and the API call.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
    import django

    django.setup()


def _progress_bar(total: int | None, unit: str, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, disable=None, dynamic_ncols=True)


def _user(username: str):
    from django.contrib.auth import get_user_model

    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        sys.exit(f"manyi: no user {username!r} (用户不存在)")


# -- serve --------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    """Migrate, collect static files, load the demo when empty, run gunicorn and the worker."""
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from manyi.org.models import Unit

    if not args.no_demo and not Unit.objects.exists():
        print("manyi: empty database, building the demo company (首次启动, 正在生成演示数据)…")
        _build_demo(customers=5000)
    from django.db import connections

    connections.close_all()
    host, port = args.host, args.port
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="manyi.settings")
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "manyi.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "sync",
        "--timeout",
        "120",
        "--access-logfile",
        "-" if args.access_log else "/dev/null",
    ]
    worker = _worker_command(settings.TASKS["default"]["BACKEND"])
    ticker = [sys.executable, "-m", "django", "ticker"]
    processes = [subprocess.Popen(gunicorn, env=env)]  # noqa: S603 - fixed argument lists
    if not args.no_worker:
        processes.append(subprocess.Popen(worker, env=env))  # noqa: S603
        processes.append(subprocess.Popen(ticker, env=env))  # noqa: S603
    _print_banner(host, port)

    def stop(_signum=None, _frame=None) -> None:
        for proc in processes:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(proc.poll() is None for proc in processes):
            time.sleep(0.5)
    finally:
        stop()
        for proc in processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return max((proc.returncode or 0) for proc in processes) if processes else 0


def _worker_command(backend: str) -> list[str]:
    """The task worker for the configured backend: RQ's on Redis, else the database's."""
    if backend.startswith("django_tasks_rq"):
        return [sys.executable, "-m", "django", "rqworker", "--job-class", "django_tasks_rq.Job",
                "default"]  # fmt: skip
    return [sys.executable, "-m", "django", "db_worker", "--queue-name", "*", "--no-reload",
            "-v", "0"]  # fmt: skip


def _print_banner(host: str, port: int) -> None:
    from manyi.demo import DEMO_PASSWORD, demo_exists, demo_logins
    from manyi.org.models import Role

    print()
    print(f"  manyi 满意 is running at  http://{host}:{port}/")
    print(f"  API docs:                 http://{host}:{port}/api/docs")
    if demo_exists():
        print(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in demo_logins():
            print(f"    {login.username:<10} {Role(login.role).label}")
    print("  Stop with Ctrl+C.")
    print(flush=True)


# -- demo ---------------------------------------------------------------------------------------


def _build_demo(customers: int, year: bool = False) -> None:
    from manyi.demo import build_demo

    bars: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = _progress_bar(total, "", stage)
        bar.n = done
        bar.refresh()

    company = build_demo(customers=customers, progress=progress)
    if year:
        # insights: a year of service played week by week through the actions
        from manyi.insights.demo_year import simulate_year

        simulate_year(company, progress=progress)
    for bar in bars.values():
        bar.close()


def cmd_demo(args: argparse.Namespace) -> int:
    """Build or rebuild the demo company."""
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    _build_demo(customers=args.customers, year=args.year)
    from manyi.demo import DEMO_PASSWORD, demo_logins

    print(f"demo company built; logins (password {DEMO_PASSWORD}):")
    for login in demo_logins():
        print(f"  {login.username}")
    return 0


# -- users and tokens ---------------------------------------------------------------------------


def cmd_createadmin(args: argparse.Namespace) -> int:
    """Create an installation superuser (Django admin and every company)."""
    _setup()
    import getpass

    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    User = get_user_model()
    if User.objects.filter(username=args.username).exists():
        sys.exit(f"manyi: user {args.username!r} exists (用户已存在)")
    password = os.environ.get("MANYI_ADMIN_PASSWORD") or getpass.getpass("Password / 密码: ")
    try:
        validate_password(password)
    except ValidationError as exc:
        sys.exit("manyi: " + " ".join(exc.messages))
    User.objects.create_superuser(args.username, args.email or "", password)
    print(f"superuser {args.username} created")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Print a new API token for a user."""
    _setup()
    from manyi.errors import DomainError, both_languages
    from manyi.org.actions import create_api_token

    user = _user(args.username)
    try:
        _token, raw = create_api_token(user=user, name=args.name)
    except DomainError as exc:
        text = both_languages(exc.message)
        sys.exit(f"manyi: {text['zh']} / {text['en']}")
    print(raw)
    return 0


# -- import / export ----------------------------------------------------------------------------


def cmd_import_customers(args: argparse.Namespace) -> int:
    """Import customers from an .xlsx or .csv file."""
    _setup()
    from manyi.customers.importing import import_customers
    from manyi.errors import DomainError, both_languages
    from manyi.org.scopes import scope_for

    path = Path(args.file)
    if not path.is_file():
        sys.exit(f"manyi: no such file {path} (文件不存在)")
    user = _user(args.user)
    outlet = None
    if args.outlet:
        outlet = scope_for(user).units().filter(code=args.outlet, kind="outlet").first()
        if outlet is None:
            sys.exit(f"manyi: no outlet with code {args.outlet!r} (门店不存在)")
    bar = _progress_bar(None, " rows", "import")

    def progress(rows: int, _result) -> None:
        bar.n = rows
        bar.refresh()

    try:
        result = import_customers(actor=user, path=path, default_outlet=outlet, progress=progress)
    except DomainError as exc:
        bar.close()
        text = both_languages(exc.message)
        sys.exit(f"manyi: {text['zh']} / {text['en']}")
    bar.close()
    print(
        f"rows {result.total_rows}, created {result.created}, updated {result.updated}, "
        f"purchases {result.purchases}, errors {result.error_count}"
    )
    for error in result.errors[: args.show_errors]:
        row, field, zh, en = error.as_list()
        print(f"  row {row} [{field}] {zh} / {en}")
    if result.error_count > args.show_errors:
        print(f"  … {result.error_count - args.show_errors} more")
    return 1 if result.error_count else 0


def cmd_export_customers(args: argparse.Namespace) -> int:
    """Export customers to an .xlsx or .csv file."""
    _setup()
    from manyi.customers.exporting import export_customers
    from manyi.errors import DomainError, both_languages

    user = _user(args.user)
    bar = _progress_bar(None, " rows", "export")

    def progress(rows: int) -> None:
        bar.n = rows
        bar.refresh()

    try:
        count = export_customers(actor=user, path=Path(args.file), progress=progress)
    except DomainError as exc:
        bar.close()
        text = both_languages(exc.message)
        sys.exit(f"manyi: {text['zh']} / {text['en']}")
    bar.close()
    print(f"{count} customers written to {args.file}")
    return 0


# -- backup / restore ---------------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    """Write the database and the uploaded files to one archive (while the server runs)."""
    _setup()
    from manyi.errors import DomainError, both_languages
    from manyi.reliability.backup import backup

    try:
        result = backup(Path(args.file), media=not args.no_media)
    except DomainError as exc:
        text = both_languages(exc.message)
        sys.exit(f"manyi: {text['zh']} / {text['en']}")
    rows = f"{result.rows} rows in {result.tables} tables, " if result.tables else ""
    print(f"backup of {result.engine} written to {result.path}: {rows}{result.files} files")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database and the uploaded files with a backup's."""
    _setup()
    from django.core.management import call_command

    from manyi.errors import DomainError, both_languages
    from manyi.reliability.backup import restore

    path = Path(args.file)
    if not path.is_file():
        sys.exit(f"manyi: no such file {path} (文件不存在)")
    try:
        result = restore(path, force=args.force)
    except DomainError as exc:
        text = both_languages(exc.message)
        sys.exit(f"manyi: {text['zh']} / {text['en']}")
    # A backup of an older release: bring its schema up to this one.
    call_command("migrate", interactive=False, verbosity=0)
    print(
        f"restored {result.engine} from {path}: {result.rows} rows in {result.tables} tables, "
        f"{result.files} files"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manyi", description="manyi (满意): customer-service quality management"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web server and the task worker")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    serve.add_argument(
        "--no-worker", action="store_true", help="do not start the task worker and the ticker"
    )
    serve.add_argument("--no-demo", action="store_true", help="never load the demo company")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="build or rebuild the demo company")
    demo.add_argument("--customers", type=int, default=5000, help="how many (default 5000)")
    demo.add_argument(
        "--year",
        action="store_true",
        help="also play a year of work orders, surveys, complaints and actions (minutes)",
    )
    demo.set_defaults(func=cmd_demo)

    admin = sub.add_parser("createadmin", help="create an installation superuser")
    admin.add_argument("username")
    admin.add_argument("--email", default="")
    admin.set_defaults(func=cmd_createadmin)

    token = sub.add_parser("token", help="print a new API token for a user")
    token.add_argument("username")
    token.add_argument("--name", default="cli", help="what the token is for")
    token.set_defaults(func=cmd_token)

    imp = sub.add_parser("import", help="import data")
    imp_sub = imp.add_subparsers(dest="what", required=True, metavar="WHAT")
    imp_c = imp_sub.add_parser("customers", help="customers from an .xlsx or .csv file")
    imp_c.add_argument("file")
    imp_c.add_argument("--user", default="admin", help="import as this user (default admin)")
    imp_c.add_argument("--outlet", help="outlet code for rows without one")
    imp_c.add_argument("--show-errors", type=int, default=20, help="errors to print")
    imp_c.set_defaults(func=cmd_import_customers)

    exp = sub.add_parser("export", help="export data")
    exp_sub = exp.add_subparsers(dest="what", required=True, metavar="WHAT")
    exp_c = exp_sub.add_parser("customers", help="customers to an .xlsx or .csv file")
    exp_c.add_argument("file")
    exp_c.add_argument("--user", default="admin", help="export as this user (default admin)")
    exp_c.set_defaults(func=cmd_export_customers)

    bak = sub.add_parser("backup", help="back up the database and the uploaded files")
    bak.add_argument("file", help="the archive to write (.tar.gz; must not exist)")
    bak.add_argument("--no-media", action="store_true", help="the database only")
    bak.set_defaults(func=cmd_backup)

    res = sub.add_parser("restore", help="restore a backup (replaces the database and files)")
    res.add_argument("file", help="an archive written by manyi backup")
    res.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )
    res.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
