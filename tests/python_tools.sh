#!/bin/sh
# The Python results tools' tests (scripts/tests), on two workers when
# pytest-xdist is installed (scripts/setup installs it), else on one.
set -eu
cd "$(dirname "$0")/.."
if /usr/bin/python3 -c 'import xdist' 2>/dev/null; then set -- -n 2 "$@"; fi
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" scripts/tests
