#!/bin/sh
# Run the corpus (fixtures/) against the simulator from a shell: upload each archive, compare the
# simulator's verdict with expected.json. Needs sh, curl, jq and a simulator on a frozen clock:
#
#   smsftp serve --clock frozen &
#   sh corpus-loop.sh fixtures
#
# Settings, from the environment: SMSFTP_FTP (ftp://guest:guest@127.0.0.1:2121) and SMSFTP_API
# (http://127.0.0.1:8121). Exit status 1 when any archive's outcome differs.
set -eu

corpus=${1:-fixtures}
ftp=${SMSFTP_FTP:-ftp://guest:guest@127.0.0.1:2121}
api=${SMSFTP_API:-http://127.0.0.1:8121}
json='Content-Type: application/json'
checked=0 failed=0

# --8<-- [start:loop]
for dir in "$corpus"/*/; do
    expected="$dir/expected.json"
    # The cases a plain client can replay: archives stored in the corpus, uploaded straight under
    # their name in binary mode, for the demo account, each processed (no FTP-behaviour scenarios).
    jq -e '.scenario == "standard" and .upload.binary and .upload.temp_name == null
           and .account == {} and all(.archives[]; .file != null)
           and all(.expected.archives[]; .status != "ignored")' "$expected" > /dev/null || continue

    curl -sSf -X POST "$api/api/reset" > /dev/null
    curl -sSf -X POST "$api/api/clock" -H "$json" -d "{\"at\": $(jq '.processing_at' "$expected")}" > /dev/null
    index=0
    for name in $(jq -r '.archives[].name' "$expected"); do
        curl -sSf -T "$dir/$name" "$ftp/$name"
        curl -sSf -X POST "$api/api/clock/advance" -H "$json" -d '{"seconds": 10}' > /dev/null
        got=$(curl -sSf "$api/api/archives/$name?login=guest&wait=10")
        want=$(jq -c ".expected.archives[$index]" "$expected")
        # Same status, same number of messages, and every expected code ("A|B": either) reported.
        if ! jq -n -e --argjson got "$got" --argjson want "$want" '
                [$got.diagnostics[].code] as $codes
                | $got.status == $want.status
                  and ($want.message_count == null or $got.message_count == $want.message_count)
                  and all($want.codes[]; split("|") | any(.[]; IN($codes[])))' > /dev/null; then
            echo "FAILED $(basename "$dir") $name: expected $want"
            echo "    got $(echo "$got" | jq -c '{status, message_count, codes: [.diagnostics[].code]}')"
            failed=$((failed + 1))
        fi
        index=$((index + 1))
        checked=$((checked + 1))
    done
done
# --8<-- [end:loop]

echo "$checked archive(s) checked, $failed failed"
[ "$failed" -eq 0 ]
