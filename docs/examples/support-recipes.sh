#!/bin/sh
# Recipes for support tickets: each writes an archive that reproduces a common complaint and prints
# what the platform's rules say of it. Run it in an empty folder holding a copy of accounts.toml.
# Add --at (the instant in the name) and the same command line always writes the same bytes, so
# an archive can be attached to a ticket and rebuilt by anyone.
set -eu

# --8<-- [start:excel]
# Saved from Excel as "CSV UTF-8": a byte-order mark and CRLF line endings. Accepted (SMS301 warns).
smsftp fixture --contacts 3 --bom --newline crlf -o excel
# The phone column was not formatted as Text: 7.9031234567E+10. That row is not sent (SMS504).
smsftp fixture --contacts 3 --bom --fault excel-sci -o excel-sci
# --8<-- [end:excel]

# --8<-- [start:leading-8]
# A number written the Russian domestic way, 89031234567. That row is not sent (SMS503).
smsftp fixture --contacts 3 --fault leading-8 -o leading-8
# --8<-- [end:leading-8]

# --8<-- [start:cp1251]
# Saved in Windows-1251 while the account expects UTF-8: rejected (SMS302, with a cp1251 hint).
smsftp fixture --contacts 3 --encoding cp1251 -o cp1251
# The same for an account whose encoding was arranged with support: accepted.
smsftp fixture --contacts 3 --encoding cp1251 --login shop --sender SHOP --accounts accounts.toml \
    -o cp1251-arranged
# --8<-- [end:cp1251]

# --8<-- [start:windows-names]
# Zipped by Windows Explorer: a Cyrillic file name in cp866, without the UTF-8 flag. Read
# correctly and accepted (SMS216 says how it was read).
smsftp fixture --mode plain --contacts 3 --fault cp866-names -o windows-names
# --8<-- [end:windows-names]

# --8<-- [start:ascii]
# What an ASCII-mode upload leaves of a zip: every CRLF turned into LF. Rejected (SMS206).
smsftp fixture --contacts 3 --fault ascii-mangled -o ascii
# --8<-- [end:ascii]

# --8<-- [start:case]
# The archive of a conformance case, by its id (see the conformance cases page).
smsftp fixture --case Q8-leading-8 -o ticket-1234
# --8<-- [end:case]
