#!/usr/bin/env bash
# Refresh requirements.lock: every direct and transitive dependency of debtplan with the
# `dashboard` and `test` extras, plus the build backend (pyproject's [build-system] requires, so
# `pip install --no-deps --no-build-isolation -e .` fetches nothing unpinned), pinned with hashes
# for Python 3.11 on every platform (--universal keeps Windows/macOS-only packages such as
# colorama). Resolved from PyPI alone, whatever pip or uv configuration this machine has.
#
#   scripts/lock.sh                          after adding a dependency (keeps the other pins)
#   scripts/lock.sh --upgrade                move everything to the newest the ranges allow
#   scripts/lock.sh --upgrade-package NAME   move one package
#
# Then run the README's test command and commit requirements.lock with the change.
# uv is needed only here, never on a user's machine: the lock is a pip requirements file.
set -euo pipefail
cd "$(dirname "$0")/.."

uv=$(command -v uv || true)
if [ -z "$uv" ]; then
  tools="${TMPDIR:-/tmp}/debtplan-uv"
  [ -x "$tools/bin/uv" ] || { python3 -m venv "$tools" && "$tools/bin/pip" install -q uv; }
  uv="$tools/bin/uv"
fi

python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' |
  "$uv" pip compile pyproject.toml - \
    --extra dashboard --extra test \
    --universal --python-version 3.11 --generate-hashes \
    --no-config --default-index https://pypi.org/simple \
    --custom-compile-command "scripts/lock.sh" \
    --quiet -o requirements.lock "$@"
git diff -U0 -- requirements.lock | grep '^[-+][a-z]' || echo "requirements.lock: no pin changed"
