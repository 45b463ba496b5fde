#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium: Playwright cannot download its own browser on
# this kind of machine, so the e2e tests drive the distribution's build instead.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends chromium
  if [ ! -x "$CHROMIUM" ]; then
    echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
  fi
  exit 0
fi

cat >&2 <<MSG
ensure-chromium: $CHROMIUM is missing and this is not a root shell, so it cannot be installed here.
The end-to-end tests run Playwright on Debian's Chromium. Install it once, then run the tests again:

    sudo apt-get update && sudo apt-get install -y chromium

MSG
exit 1
