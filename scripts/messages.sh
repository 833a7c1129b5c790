#!/usr/bin/env bash
# Re-extracts a zh_Hans gettext catalogue and compiles it.
#   scripts/messages.sh complaints   -> manyi/complaints/locale (that app's own catalogue)
#   scripts/messages.sh              -> every catalogue (run only when nobody else is editing)
# Translate what is new (untranslated or fuzzy) in the .po, then run it again to compile;
# scripts/check_translations.py says what is still missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/manyi${1:+/$1}"
[ -d "$dir" ] || { echo "no such app: $1" >&2; exit 2; }
cd "$dir"
mkdir -p locale
unset DJANGO_SETTINGS_MODULE
"$root/.venv/bin/python" -m django makemessages -l zh_Hans --no-obsolete -i "tests/*" -i "*/tests/*"
"$root/.venv/bin/python" -m django compilemessages -l zh_Hans
