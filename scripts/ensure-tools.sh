#!/usr/bin/env bash
# Installs, from Debian's packages, the tools the tests need when they are missing:
# GNU gettext (the translation check), Chromium and a CJK font (the browser tests).
set -euo pipefail
missing=()
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk fontconfig)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
