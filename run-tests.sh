#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs all of it.
# Extra arguments go to pytest (e.g. ./run-tests.sh -k outbox).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
have mosquitto || missing+=(mosquitto)
have influxd || missing+=(influxdb)
# SMS tests run Gammu SMSD (files backend) on Gammu's dummy phone; `gammu` saves the replies they inject.
have gammu-smsd || missing+=(gammu-smsd)
have gammu || missing+=(gammu)
# The phone web app's browser tests drive Debian's Chromium through Playwright (never its own download).
have chromium || missing+=(chromium chromium-driver)
# Label and dossier PDFs: WeasyPrint needs Pango, and DejaVu for Vietnamese letters.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
ldconfig -p | grep -q libpangoft2-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --root-user-action=ignore --disable-pip-version-check -e ".[test]"
python3 -m ruff check .
lint-imports --no-cache
# The types of contract, agronomy, rules and edge, strictly (pyproject's [tool.mypy]).
python3 -m mypy
# Two workers, each taking whole files (a file's fixtures and order stay as they are); PYTEST_WORKERS=0 for one.
python3 -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile --durations=25 "$@"
