"""Check the gettext catalogues: manyi/locale and each app's own manyi/<app>/locale.

Run from the repository root: ``.venv/bin/python scripts/check_translations.py``.
Exits 1 and lists the problems when any .po file

* has untranslated or fuzzy entries,
* has a msgstr whose placeholders (%(x)s, %(x)d, %s, %d) differ from its msgid's,
* does not match its committed .mo file, or
* lacks msgids that ``makemessages`` extracts from the code (or keeps ones it no longer finds).

The last check runs ``makemessages --no-obsolete`` (``python -m django``, without settings) on a
temporary copy of the package minus its tests, so the real catalogue is never touched. It
needs GNU gettext (``xgettext``); without it the check is skipped with a warning, except when
the environment variable CI is "true", where it fails.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "manyi"
LOCALE = PACKAGE / "locale"
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[sd]")
RUNTIME_HEADERS = ("Language", "Content-Type", "Plural-Forms")

Key = tuple[str | None, str, str]  # (msgctxt, msgid, msgid_plural)


def placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


def key(entry: polib.POEntry | polib.MOEntry) -> Key:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def translations(catalogue: polib.POFile | polib.MOFile) -> set[tuple[Key, tuple[str, ...]]]:
    """The (msgid, msgstr) pairs a program would see, plural forms in order."""
    pairs = set()
    for e in catalogue:
        if e.msgid_plural:
            pairs.add((key(e), tuple(s for _n, s in sorted(e.msgstr_plural.items()))))
        else:
            pairs.add((key(e), (e.msgstr,)))
    return pairs


def check_entries(po: polib.POFile) -> list[str]:
    problems = []
    if po.metadata_is_fuzzy:
        problems.append("the header is marked fuzzy")
    for e in po:
        if e.obsolete:
            continue
        if "fuzzy" in e.flags or not e.translated():
            state = "fuzzy" if "fuzzy" in e.flags else "untranslated"
            problems.append(f"{state}: {e.msgid!r}")
            continue
        if e.msgid_plural:
            pairs = [(e.msgid_plural, s) for s in e.msgstr_plural.values()]
        else:
            pairs = [(e.msgid, e.msgstr)]
        for source, target in pairs:
            if placeholders(source) != placeholders(target):
                problems.append(f"placeholders differ: {source!r} -> {target!r}")
    return problems


def check_mo(po: polib.POFile, mo_path: Path) -> list[str]:
    if not mo_path.exists():
        return [f"{mo_path.name} is missing; run compilemessages"]
    compiled = polib.mofile(po.to_binary())
    committed = polib.mofile(str(mo_path))
    problems = [
        f"{mo_path.name} header {name!r} is {committed.metadata.get(name)!r}, "
        f"the .po says {compiled.metadata.get(name)!r}"
        for name in RUNTIME_HEADERS
        if compiled.metadata.get(name) != committed.metadata.get(name)
    ]
    stale = translations(compiled) ^ translations(committed)
    if stale:
        problems.append(
            f"{mo_path.name} is out of date ({len(stale)} differing pairs, e.g. "
            f"{sorted(stale)[0][0][1]!r}); run compilemessages"
        )
    return problems


def extracted_msgids(po_files: list[Path]) -> dict[Path, set[Key]] | None:
    """Run makemessages on a copy of the package; the msgids it finds, per .po file."""
    if shutil.which("xgettext") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / PACKAGE.name
        shutil.copytree(
            PACKAGE, copy, ignore=shutil.ignore_patterns("tests", "locale", "__pycache__")
        )
        for po_path in po_files:
            target = copy / po_path.relative_to(PACKAGE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(po_path, target)
        # <locale dir>/<language>/LC_MESSAGES/django.po; makemessages, run from the package
        # root, files each app's strings under the app's own locale dir when it has one.
        locales = sorted({p.parent.parent.name for p in po_files})
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        command = [sys.executable, "-m", "django", "makemessages", "--no-obsolete"]
        for locale in locales:
            command += ["-l", locale]
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)  # noqa: S603
        if done.returncode:
            sys.exit(f"makemessages failed:\n{done.stderr}")
        return {
            p: {key(e) for e in polib.pofile(str(copy / p.relative_to(PACKAGE)))} for p in po_files
        }


def main() -> int:
    po_files = sorted(LOCALE.glob("*/LC_MESSAGES/*.po")) + sorted(
        PACKAGE.glob("*/locale/*/LC_MESSAGES/*.po")
    )
    if not po_files:
        print(f"no .po files under {PACKAGE.relative_to(ROOT)}")
        return 1
    problems: dict[Path, list[str]] = {}
    for po_path in po_files:
        po = polib.pofile(str(po_path))
        problems[po_path] = check_entries(po) + check_mo(po, po_path.with_suffix(".mo"))

    extracted = extracted_msgids(po_files)
    if extracted is None:
        message = "xgettext (GNU gettext) is not installed: cannot compare with the code"
        if os.environ.get("CI") == "true":
            problems[po_files[0]].append(message)
        else:
            print(f"warning: {message}; skipped that check")
    else:
        for po_path, in_code in extracted.items():
            in_catalogue = {key(e) for e in polib.pofile(str(po_path)) if not e.obsolete}
            problems[po_path] += [
                f"missing (run makemessages): {k[1]!r}"
                for k in sorted(in_code - in_catalogue, key=str)
            ]
            problems[po_path] += [
                f"no longer in the code: {k[1]!r}" for k in sorted(in_catalogue - in_code, key=str)
            ]

    failed = False
    for po_path, found in problems.items():
        name = po_path.relative_to(ROOT)
        for problem in found:
            print(f"{name}: {problem}")
        failed |= bool(found)
        if not found:
            print(f"{name}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
