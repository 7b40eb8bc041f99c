#!/bin/sh
# Run a client against a fresh smsftp simulator, then fail when anything it uploaded is not
# conformant (warnings included). Needs sh, curl and smsftp.
#
#   sh smsftp-ci.sh ./export-campaign --target ftp
#
# The client runs with the simulator's coordinates in its environment: SMSFTP_HOST,
# SMSFTP_FTP_PORT, SMSFTP_API, SMSFTP_LOGIN, SMSFTP_PASSWORD and SMSFTP_CACERT (the simulator's
# certificate, to trust for FTPS). Ports and folders can be changed with SMSFTP_FTP_PORT,
# SMSFTP_API_PORT and SMSFTP_STATE_DIR.
set -eu

ftp_port=${SMSFTP_FTP_PORT:-2121}
api_port=${SMSFTP_API_PORT:-8121}
state=${SMSFTP_STATE_DIR:-smsftp-state}
mkdir -p "$state"

# --8<-- [start:serve]
# A frozen clock: the client's test advances it instead of waiting for the 10-second poll.
smsftp serve --clock frozen --state-dir "$state" --ftp-port "$ftp_port" --api-port "$api_port" \
    > "$state/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

# Ready (FTP, poller and store up: /readyz answers 200) well under a second; give up after 10.
tries=0
until curl --silent --fail "http://127.0.0.1:$api_port/readyz" > /dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -ge 100 ] || ! kill -0 "$server" 2>/dev/null; then
        cat "$state/serve.log" >&2
        exit 1
    fi
    sleep 0.1
done
# --8<-- [end:serve]

# --8<-- [start:client]
export SMSFTP_HOST=127.0.0.1 SMSFTP_FTP_PORT="$ftp_port" SMSFTP_API="http://127.0.0.1:$api_port"
export SMSFTP_LOGIN=guest SMSFTP_PASSWORD=guest SMSFTP_CACERT="$state/tls/cert.pem"
"$@"
# --8<-- [end:client]

# --8<-- [start:report]
# Judge every upload the simulator received: archive name, binary transfer, temporary name and
# rename, TLS, a hang-up before the 226 reply, and every content diagnostic. --advance first moves the
# frozen clock one poll on, so that nothing uploaded goes unjudged. Exit status 1 on any warning or
# error, and when nothing was uploaded, a login failed or a file was left that is never processed.
smsftp report --api "$SMSFTP_API" --advance --fail-on warning
# --8<-- [end:report]
