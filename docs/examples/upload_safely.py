"""Upload an archive the safe way: FTPS, binary mode, a temporary name renamed when complete.

    python upload_safely.py guest_20261125120000.zip --cafile smsftp-state/tls/cert.pem

Only the standard library; the same three habits apply in any language.
"""

from __future__ import annotations

import argparse
import contextlib
import ftplib
import ssl
from pathlib import Path


def upload(archive: Path, *, host: str, port: int, login: str, password: str, cafile: str | None) -> None:
    # Verify the server's certificate: the simulator's own is self-signed, so trust that file.
    context = ssl.create_default_context(cafile=cafile)
    with ftplib.FTP_TLS(context=context, timeout=30) as ftp:
        ftp.connect(host, port)
        ftp.auth()  # AUTH TLS: encrypt the control channel before the password is sent
        ftp.login(login, password)
        ftp.prot_p()  # PBSZ 0 + PROT P: encrypt the data channel (the recipients) too
        # A name that does not end in .zip: the poller ignores it while it is being written.
        temporary = archive.name + ".part"
        try:
            with archive.open("rb") as data:
                ftp.storbinary(f"STOR {temporary}", data)  # storbinary switches to TYPE I (binary)
        except ftplib.all_errors:
            with contextlib.suppress(*ftplib.all_errors):
                ftp.delete(temporary)  # leave no partial file behind
            raise
        ftp.rename(temporary, archive.name)  # RNFR + RNTO: the archive appears complete, at once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2121)
    parser.add_argument("--login", default="guest")
    parser.add_argument("--password", default="guest")
    parser.add_argument("--cafile", help="the server's certificate, or a CA bundle that signed it")
    args = parser.parse_args()
    upload(args.archive, host=args.host, port=args.port, login=args.login, password=args.password, cafile=args.cafile)
    print(f"uploaded {args.archive.name}")


if __name__ == "__main__":
    main()
