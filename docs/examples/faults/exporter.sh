#!/bin/sh
# An exporter in sh + curl that survives a bad day: each attempt uploads the whole archive under a
# temporary name and renames it; a transient failure (a 421 greeting, a 4xx reply, a cut or reset
# transfer) is retried, a permanent one (530, 550, 553) is not.
#
#   sh exporter.sh guest_20261125120000.zip
#
# Settings, from the environment: SMSFTP_HOST (127.0.0.1), SMSFTP_FTP_PORT (2121), SMSFTP_LOGIN and
# SMSFTP_PASSWORD (guest), SMSFTP_ATTEMPTS (4), SMSFTP_BACKOFF (seconds before a retry, 1).
set -u

archive=$1
name=$(basename "$archive")
host=${SMSFTP_HOST:-127.0.0.1}
port=${SMSFTP_FTP_PORT:-2121}
attempts=${SMSFTP_ATTEMPTS:-4}
backoff=${SMSFTP_BACKOFF:-1}

# --8<-- [start:retry]
attempt=1
while :; do
    # Never `-C -` (resume): after a cut the half file is not ours to append to; send it all again.
    errors=$(curl --silent --show-error --user "${SMSFTP_LOGIN:-guest}:${SMSFTP_PASSWORD:-guest}" \
        --upload-file "$archive" "ftp://$host:$port/$name.part" \
        --quote "-RNFR $name.part" --quote "-RNTO $name" 2>&1)
    status=$?
    [ "$status" -eq 0 ] && break
    echo "attempt $attempt: curl exit $status: $errors" >&2
    case $errors in
        *" 5"[0-9][0-9]* | *"Access denied"* | *"QUOT string not accepted"*)
            echo "permanent error: not retrying" >&2
            exit 1 ;;
    esac
    if [ "$attempt" -ge "$attempts" ]; then
        echo "giving up after $attempt attempts" >&2
        exit 1
    fi
    sleep "$backoff"
    attempt=$((attempt + 1))
done
echo "uploaded $name (attempt $attempt)"
# --8<-- [end:retry]
