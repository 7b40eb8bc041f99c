#!/bin/sh
# Reproduce "the archive is fine on my disk but the platform rejects it": an upload in ASCII mode.
# Needs `smsftp serve` running.
set -eu

# --8<-- [start:ascii-upload]
smsftp fixture --contacts 3 --no-check -o good
curl --use-ascii -T good/guest_*.zip ftp://guest:guest@127.0.0.1:2121/
curl -X POST http://127.0.0.1:8121/api/poll
smsftp report --api http://127.0.0.1:8121 --login guest || true   # exit 1: there are findings
# --8<-- [end:ascii-upload]
