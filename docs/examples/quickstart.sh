#!/bin/sh
# The quickstart as one script: pack a campaign by hand, upload it with curl, let the simulator
# poll, and read the result. Run it from docs/examples/first-campaign with `smsftp serve` running.
set -eu

# --8<-- [start:zip]
name=guest_$(date -u +%Y%m%d%H%M%S).zip     # [login]_[YYYYMMDDhhmmss].zip
zip -q -r "$name" sms                       # zip the folder, not its files: sms/contacts.csv ...
# --8<-- [end:zip]

# --8<-- [start:upload]
curl -T "$name" ftp://guest:guest@127.0.0.1:2121/
# --8<-- [end:upload]

# --8<-- [start:poll]
curl -X POST http://127.0.0.1:8121/api/poll
# --8<-- [end:poll]

# --8<-- [start:result]
curl "http://127.0.0.1:8121/api/archives/$name?login=guest"
curl "http://127.0.0.1:8121/api/messages?login=guest&archive=$name"
# --8<-- [end:result]

# --8<-- [start:folder]
curl --list-only ftp://guest:guest@127.0.0.1:2121/      # empty: processed archives are deleted
# --8<-- [end:folder]
