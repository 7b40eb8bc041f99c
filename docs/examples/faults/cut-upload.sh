#!/bin/sh
# Recipe: "my exporter must survive a cut upload". Needs `smsftp serve --clock frozen` running.
set -eu
api=${SMSFTP_API:-http://127.0.0.1:8121}

# --8<-- [start:recipe]
# The first upload's data connection is closed by the server after 100 bytes (426), once.
curl --silent --fail -X POST -H 'Content-Type: application/json' \
    -d '{"login": "guest", "on": "STOR", "cut_after": 100, "times": 1}' "$api/api/faults"
echo

sh exporter.sh guest_20261125120000.zip                    # attempt 2 sends the whole archive again
curl --silent --fail -X POST -d '{"seconds": 10}' -H 'Content-Type: application/json' \
    "$api/api/clock/advance" > /dev/null
smsftp report --api "$api" --login guest --fail-on error   # SMS821 if it had resumed with APPE/REST
# --8<-- [end:recipe]
