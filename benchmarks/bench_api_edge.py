"""The HTTP edge under the attacks of issue 10 rows 7 and 16, measured on loopback.

One in-process simulator (frozen clock, temporary state).  Printed:

- a body announced as 200 MiB by ``Content-Length``: the status, how much of it the
  server let the client send before answering, and the server process's RSS growth;
- a 200 MiB body sent chunked (no length): the same;
- 40 ``?wait=`` calls held on names that never come: how long ``/api/health`` (async)
  and ``/api/archives`` (a route on a worker thread) take meanwhile.

Run: ``PYTHONPATH=tools/editable python benchmarks/bench_api_edge.py``.
"""

from __future__ import annotations

import socket
import threading

import httpx

from smsftp.simulator.app import Simulator, wait_until
from smsftp.simulator.service.clock import real_monotonic

BODY = 200 << 20
PIECE = b"x" * 65536
WAITS = 40


def rss_mib() -> int:
    with open("/proc/self/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) // 1024


def send_body(host: str, port: int, *, chunked: bool) -> tuple[str, int, float]:
    """The status line, the seconds until it came, and the body bytes sent by then (mostly into socket buffers)."""
    framing = b"transfer-encoding: chunked\r\n" if chunked else b"content-length: %d\r\n" % BODY
    head = b"POST /api/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n" + framing
    sent, reply, started = 0, b"", real_monotonic()
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(head + b"\r\n")
        s.setblocking(False)
        while sent < BODY and not reply:
            try:
                reply += s.recv(4096)
                continue
            except BlockingIOError:
                pass
            try:
                s.sendall(b"%x\r\n%s\r\n" % (len(PIECE), PIECE) if chunked else PIECE)
            except (BlockingIOError, OSError):
                break
            sent += len(PIECE)
        s.settimeout(10)
        while b"\r\n" not in reply:
            reply += s.recv(4096)
    return reply.split(b"\r\n", 1)[0].decode(), sent, real_monotonic() - started


def main() -> None:
    with Simulator() as sim:
        assert sim.api_url is not None
        host, port = sim.api_url.removeprefix("http://").rsplit(":", 1)
        idle = rss_mib()
        for chunked in (False, True):
            status, sent, seconds = send_body(host, int(port), chunked=chunked)
            kind = "chunked" if chunked else "content-length"
            print(
                f"200 MiB body, {kind}: {status} after {seconds:.2f} s, the client having sent "
                f"{sent / 2**20:.1f} MiB; server RSS +{rss_mib() - idle} MiB"
            )
        held = [
            threading.Thread(
                target=httpx.get,
                args=(f"{sim.api_url}/api/archives/guest_never{i}.zip",),
                kwargs={"params": {"wait": 3}, "timeout": 30},
            )
            for i in range(WAITS)
        ]
        for thread in held:
            thread.start()
        slots = sim._api._server.config.app.state.wait_slots  # type: ignore[union-attr]
        assert wait_until(lambda: slots.held() == WAITS, 5)
        with httpx.Client(base_url=sim.api_url, timeout=30) as client:
            for path in ("/api/health", "/api/archives"):
                started = real_monotonic()
                client.get(path).raise_for_status()
                print(f"{WAITS} waits held: {path} {1000 * (real_monotonic() - started):.0f} ms")
        for thread in held:
            thread.join()


if __name__ == "__main__":
    main()
