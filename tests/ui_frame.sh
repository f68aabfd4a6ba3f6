#!/bin/sh
# ui_frame.sh - the dashboard in a real browser: tests/ui/frame.test.mjs (TAP;
# headless Debian Chromium against a server of this build).
exec sh "${INN_TOP_SRCDIR:?}/tests/ui/run.sh" frame
