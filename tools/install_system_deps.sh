#!/usr/bin/env bash
# System tools the tests drive as real clients and real archivers: curl (FTP/FTPS
# uploads), Info-ZIP zip/unzip (password-protected and Finder-style archives),
# 7-Zip (Deflate64), jq for the documented shell examples, and Debian's Chromium for the cabinet's browser tests.
set -euo pipefail
need=()
command -v curl >/dev/null || need+=(curl)
command -v zip >/dev/null || need+=(zip)
command -v unzip >/dev/null || need+=(unzip)
command -v 7z >/dev/null || need+=(p7zip-full)
command -v jq >/dev/null || need+=(jq)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "system tools: curl zip unzip 7z jq chromium present"
