#!/bin/sh
# Upload one archive to the smsftp simulator the way a careful client does, then read back what
# the platform would send. Needs only sh and curl; the archive comes from your own exporter
# (or from `smsftp fixture`).
#
#   sh upload.sh guest_20261125120000.zip
#
# Settings, from the environment:
#   SMSFTP_HOST       FTP host                      (default 127.0.0.1)
#   SMSFTP_FTP_PORT   FTP port                      (default 2121)
#   SMSFTP_API        the simulator's HTTP API      (default http://127.0.0.1:8121)
#   SMSFTP_LOGIN      FTP login                     (default guest)
#   SMSFTP_PASSWORD   FTP password                  (default guest)
#   SMSFTP_CACERT     the simulator's certificate (<state-dir>/tls/cert.pem): use FTPS and trust it
#   SMSFTP_API_TOKEN  API token, when the simulator is bound to a non-loopback address
set -eu

archive=$1
name=$(basename "$archive")
host=${SMSFTP_HOST:-127.0.0.1}
port=${SMSFTP_FTP_PORT:-2121}
api=${SMSFTP_API:-http://127.0.0.1:8121}
login=${SMSFTP_LOGIN:-guest}
password=${SMSFTP_PASSWORD:-guest}

api_call() {  # api_call METHOD PATH [JSON-BODY]
    if [ -n "${SMSFTP_API_TOKEN:-}" ]; then
        set -- "$@" --header "Authorization: Bearer $SMSFTP_API_TOKEN"
    fi
    method=$1 path=$2
    shift 2
    if [ "$method" = POST ]; then
        body=$1
        shift
        curl --silent --show-error --fail --request POST --header 'Content-Type: application/json' \
            --data "$body" "$@" "$api$path"
    else
        curl --silent --show-error --fail "$@" "$api$path"
    fi
}

# --8<-- [start:upload]
# FTPS when a certificate is given: AUTH TLS before the password, PROT P for the data.
tls=""
if [ -n "${SMSFTP_CACERT:-}" ]; then
    tls="--ssl-reqd --cacert $SMSFTP_CACERT"
fi

# curl always transfers in binary mode (TYPE I). Upload under a temporary name that does not end
# in .zip, so that the poller never sees a half-written archive; rename it once the transfer is
# complete ("-" sends RNFR/RNTO after the transfer).
# shellcheck disable=SC2086  # $tls is deliberately split into options
curl --silent --show-error --fail $tls --user "$login:$password" \
    --upload-file "$archive" "ftp://$host:$port/$name.part" \
    --quote "-RNFR $name.part" --quote "-RNTO $name"
# --8<-- [end:upload]
echo "uploaded $name"

# --8<-- [start:observe]
# In CI the simulator's clock is frozen (smsftp serve --clock frozen): move it past the next
# 10-second poll instead of waiting. On a real-time clock (`smsftp serve` without --clock frozen) it is
# accepted too: the clock jumps 10 s ahead for good and the poll that fell due runs at once.
api_call POST /api/clock/advance '{"seconds": 10}' > /dev/null || echo "clock not frozen: waiting for the poll"

# The server waits (up to 30 s) until the archive is processed, then returns its verdict.
verdict=$(api_call GET "/api/archives/$name?login=$login&wait=30")
echo "$verdict"

# The messages the platform would send, with phone, text, sender, send_at, expires_at, parts.
api_call GET "/api/messages?login=$login&archive=$name"
echo

case $verdict in
    *'"status":"accepted"'* | *'"status": "accepted"'*) ;;
    *) echo "$name was not accepted" >&2; exit 1 ;;
esac
# --8<-- [end:observe]
