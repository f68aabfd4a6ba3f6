#!/bin/sh
# ui_runs.sh - the dashboard in a real browser: tests/ui/runs.test.mjs (TAP;
# headless Debian Chromium against a server of this build).
exec sh "${INN_TOP_SRCDIR:?}/tests/ui/run.sh" runs
