#!/bin/sh
# Recipe: "my exporter must retry a 421". Needs `smsftp serve --clock frozen` running.
set -eu
api=${SMSFTP_API:-http://127.0.0.1:8121}

# --8<-- [start:recipe]
# The next connection is greeted with 421 (service not available), once.
curl --silent --fail -X POST -H 'Content-Type: application/json' \
    -d '{"on": "CONNECT", "reply": 421, "times": 1}' "$api/api/faults"
echo

sh exporter.sh guest_20261125120000.zip                    # attempt 1 meets the 421, attempt 2 goes through
curl --silent --fail -X POST -d '{"seconds": 10}' -H 'Content-Type: application/json' \
    "$api/api/clock/advance" > /dev/null                   # the poll takes the archive
smsftp report --api "$api" --login guest --fail-on error   # SMS824: the client retried
# --8<-- [end:recipe]
