#!/bin/sh
# Run the conformance suite against the live platform, with every safety guard set.
# The login and password come from the environment, read by the plugin itself, so that they never
# show in a process list: SMSFTP_LIVE_LOGIN and SMSFTP_LIVE_PASSWORD. Extra pytest arguments are
# passed on, for example --cases='Q8-*'.
set -eu

# --8<-- [start:run]
pytest --pyargs smsftp.conformance \
    --target=live \
    --live-host="${LIVE_HOST:-ftp1.integrationapi.net}" \
    --live-port="${LIVE_PORT:-21}" \
    --live-tls=on \
    --live-confirm \
    --live-allow="${LIVE_ALLOW:?set LIVE_ALLOW to your own numbers, comma-separated}" \
    --live-budget="${LIVE_BUDGET:-20}" \
    --report-dir=live-report \
    --junitxml=live-report/junit.xml \
    "$@"
# --8<-- [end:run]
