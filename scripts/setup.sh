#!/usr/bin/env bash
# Sets up sse-harness: npm packages, then browsers (Playwright's own where it can download, else the system's).
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
else
  say "npm packages up to date"
fi

has_pw_browser() { node -e "const {$1}=require('playwright');const fs=require('fs');try{process.exit(fs.existsSync($1.executablePath())?0:1)}catch{process.exit(1)}" 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

apt_missing=()
if has_pw_browser chromium; then
  say "chromium: Playwright's build found"
elif [ -x /usr/bin/chromium ] || [ -x /usr/bin/google-chrome ]; then
  say "chromium: system browser found"
elif command -v apt-get >/dev/null; then
  apt_missing+=(chromium)
else
  say "chromium: downloading Playwright's build"
  npx playwright install chromium
fi

if has_pw_browser webkit; then
  say "webkit: Playwright's build found"
elif command -v WebKitWebDriver >/dev/null && [ -x /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser ]; then
  say "webkit: WebKitGTK WebDriver found"
elif command -v apt-get >/dev/null; then
  apt_missing+=(webkit2gtk-driver)
else
  say "webkit: downloading Playwright's build"
  npx playwright install webkit || say "webkit: could not install; WebKit runs will be skipped (see: npx sse-harness doctor)"
fi
if command -v apt-get >/dev/null && [ -z "${DISPLAY:-}" ] && ! command -v xvfb-run >/dev/null; then
  apt_missing+=(xvfb xauth)
fi

# The real backend (--backend real, conformance) runs a hermes-webui checkout's own server: Python 3 with PyYAML and
# cryptography. Nothing else needs Python, so a machine without it only loses those two.
py="${SSE_HARNESS_PYTHON:-python3}"
if "$py" -c 'import yaml, cryptography' 2>/dev/null; then
  say "python: $py has PyYAML and cryptography (for --backend real)"
elif command -v apt-get >/dev/null; then
  apt_missing+=(python3 python3-yaml python3-cryptography)
else
  say "python: $py lacks PyYAML or cryptography; --backend real needs them (pip install pyyaml cryptography)"
fi

if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing system packages: ${apt_missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi
if ! "$py" -c 'import yaml, cryptography' 2>/dev/null && /usr/bin/python3 -c 'import yaml, cryptography' 2>/dev/null; then
  say "python: $py still lacks them; /usr/bin/python3 has them: export SSE_HARNESS_PYTHON=/usr/bin/python3 for --backend real"
fi
say "done"
