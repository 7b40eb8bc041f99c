#!/bin/sh
# Make an archive to upload, when you have no exporter yet: three contacts, a template, the right name.
set -eu
# --8<-- [start:fixture]
smsftp fixture --contacts 3 --login guest -o out    # writes out/guest_<YYYYMMDDhhmmss>.zip
# --8<-- [end:fixture]
