#!/usr/bin/env bash
# The README's second command: installs or starts what the tests need, then runs the
# whole suite (cargo test on SQLite and PostgreSQL, browser tests in Chromium and Firefox
# ESR, schemathesis against the real binary). Safe to run again: it installs only what
# is missing. .ci/run calls it after the format and lint checks.
#
# Needs: a Rust toolchain, Debian or Ubuntu (apt) for the system packages, and root or
# sudo for installing them. Set TEST_DATABASE_URL to use a PostgreSQL server of your own
# instead of the local one this script starts.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_apt=()
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
[ -e /usr/include/postgresql/libpq-fe.h ] || need_apt+=(libpq-dev)
command -v pg_isready >/dev/null 2>&1 || need_apt+=(postgresql-client)
# The console's browser tests drive Debian's Chromium and Firefox ESR over WebDriver;
# they fail, never skip, without them. The CJK fonts make the screenshots readable.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
[ -x /usr/bin/firefox-esr ] || need_apt+=(firefox-esr)
# (grep reads all of fc-list's output: with pipefail, -q would end the pipe early and fail it)
fc-list 2>/dev/null | grep -i 'Noto Sans CJK' >/dev/null || need_apt+=(fonts-noto-cjk)
# The printed 舆情快报 is checked as a PDF page: pdfinfo, pdftotext and pdftoppm.
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
# schemathesis (PyPI) goes into a virtualenv.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

# Firefox's WebDriver has no Debian package; Mozilla publishes it on crates.io.
if ! command -v geckodriver >/dev/null 2>&1 \
  && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/geckodriver" ]; then
  log "installing geckodriver"
  cargo install geckodriver --locked --version 0.37.1
fi

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "starting PostgreSQL"
    cluster="$(ls /etc/postgresql | head -n1)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
    for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is required for the tests" >&2; exit 1; }
  # The tests create a database per test as the postgres role, without a password.
  if ! psql -q "$TEST_DATABASE_URL" -c 'SELECT 1' >/dev/null 2>&1; then
    echo "cannot connect to $TEST_DATABASE_URL as postgres without a password:" >&2
    echo "allow it (trust for 127.0.0.1 in pg_hba.conf) or set TEST_DATABASE_URL" >&2
    exit 1
  fi
fi

log "tests (SQLite and PostgreSQL, Chromium and Firefox ESR)"
cargo test --locked
log "schemathesis against the running service (SQLite and PostgreSQL)"
bash scripts/schemathesis.sh
