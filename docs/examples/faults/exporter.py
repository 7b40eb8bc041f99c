"""An exporter that survives a bad day: retries transient FTP errors, re-uploads cut transfers whole.

    python exporter.py guest_20261125120000.zip --host 127.0.0.1 --port 2121

Only the standard library.  The rules it follows, whatever the language:

* a 4xx reply (421 at connect, 450/451/452 on STOR, 425/426 on the data connection), a lost
  connection or a cut transfer is *transient*: wait, then start the whole upload again;
* after a cut transfer, upload from the first byte again (STOR), never APPE or REST onto the half file;
* a 5xx reply (530 wrong password, 550/553 refused name) is *permanent*: stop and tell a person;
* one campaign, one archive: retry the same file under the same name, never build a new one.
"""

from __future__ import annotations

import argparse
import contextlib
import ftplib
import time
from pathlib import Path

# --8<-- [start:retry]
TRANSIENT = (ftplib.error_temp, ftplib.error_reply, OSError, EOFError)  # 4xx, odd replies, lost connections


def upload(
    archive: Path,
    *,
    host: str,
    port: int,
    login: str = "guest",
    password: str = "guest",
    attempts: int = 4,
    backoff: float = 1.0,
) -> int:
    """Upload under a temporary name, then rename; returns the attempts it took."""
    temporary = archive.name + ".part"
    for attempt in range(1, attempts + 1):
        try:
            with ftplib.FTP(timeout=30) as ftp:
                ftp.connect(host, port)  # a 421 greeting raises error_temp here
                ftp.login(login, password)  # a 530 raises error_perm: not caught, the exporter stops
                with archive.open("rb") as data:
                    ftp.storbinary(f"STOR {temporary}", data)  # always the whole file, from byte 0
                ftp.rename(temporary, archive.name)
            return attempt
        except ftplib.error_perm:
            raise  # permanent: retrying cannot help
        except TRANSIENT:
            if attempt == attempts:
                raise
            time.sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


# --8<-- [end:retry]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2121)
    parser.add_argument("--login", default="guest")
    parser.add_argument("--password", default="guest")
    parser.add_argument("--attempts", type=int, default=4)
    parser.add_argument("--backoff", type=float, default=1.0, help="seconds before the first retry; doubles")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        n = upload(
            args.archive,
            host=args.host,
            port=args.port,
            login=args.login,
            password=args.password,
            attempts=args.attempts,
            backoff=args.backoff,
        )
        print(f"uploaded {args.archive.name} (attempt {n})")


if __name__ == "__main__":
    main()
