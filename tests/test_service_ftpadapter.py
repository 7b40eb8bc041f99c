"""Every private pyftpdlib name the FTP server uses still exists and means what we rely on.

One test per name in ``ftpadapter.PRIVATE_NAMES``: a pyftpdlib release that renames or drops one
fails here, by name, instead of somewhere inside an upload.
"""

from __future__ import annotations

import ast
import errno
import importlib
import inspect
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import freezegun
import pytest
from pyftpdlib.handlers import DTPHandler, FTPHandler, TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from smsftp.simulator.service import ftpadapter
from smsftp.simulator.service.clock import real_monotonic
from smsftp.simulator.service.tls import CertificatePair, server_context


@pytest.fixture
def channels(service_cert: tuple[Path, Path]) -> Iterator[dict[str, Any]]:
    """A control and a data channel of each kind, built by pyftpdlib on loopback sockets."""
    context = server_context(CertificatePair(*service_cert))
    tls_handler = type("TlsHandler", (TLS_FTPHandler,), {"ssl_context": context})
    loop = IOLoop()
    server = FTPServer(("127.0.0.1", 0), FTPHandler, ioloop=loop)
    sockets: list[socket.socket] = []

    listener = socket.create_server(("127.0.0.1", 0))
    sockets.append(listener)

    def pair() -> socket.socket:
        client = socket.create_connection(listener.getsockname()[:2], timeout=5)
        accepted, _ = listener.accept()
        sockets.extend((client, accepted))
        return accepted

    made: dict[str, Any] = {}
    made["FTPHandler"] = FTPHandler(pair(), server, ioloop=loop)
    made["TLS_FTPHandler"] = tls_handler(pair(), server, ioloop=loop)
    made["DTPHandler"] = DTPHandler(pair(), made["FTPHandler"])
    made["TLS_DTPHandler"] = TLS_DTPHandler(pair(), made["TLS_FTPHandler"])
    yield made
    server.close_all()
    for sock in sockets:
        sock.close()


SCHEDULER_NAMES = [n for n in ftpadapter.PRIVATE_NAMES if n[0] in ("_Scheduler", "_CallLater")]


def _instance_names() -> list[tuple[str, str]]:
    return [(owner, name) for owner, name in ftpadapter.PRIVATE_NAMES if "." not in owner and owner[0] != "_"]


@pytest.mark.parametrize(("owner", "name"), [n for n in ftpadapter.PRIVATE_NAMES if "." in n[0]])
def test_module_level_private_name_exists(owner: str, name: str) -> None:
    assert hasattr(importlib.import_module(owner), name), f"pyftpdlib dropped {owner}.{name}"


@pytest.mark.parametrize(("owner", "name"), _instance_names())
def test_handler_private_attribute_exists(channels: dict[str, Any], owner: str, name: str) -> None:
    assert hasattr(channels[owner], name), f"pyftpdlib's {owner} has no {name} any more"


@pytest.mark.parametrize(
    ("owner", "name"), [n for n in ftpadapter.PRIVATE_NAMES if n[0] in ("_Scheduler", "_CallLater")]
)
def test_scheduler_private_attribute_exists(owner: str, name: str) -> None:
    loop = ftpadapter.RealTimeIOLoop()
    call = loop.call_later(5, lambda: None)
    assert hasattr(loop.sched if owner == "_Scheduler" else call, name), f"pyftpdlib's {owner} has no {name} any more"
    call.cancel()
    loop.close()


def _private_names_used(module: Any) -> set[str]:
    """Names with one leading underscore that ``module`` imports, reads as attributes, or passes to getattr."""
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pyftpdlib"):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
            names |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_the_table_lists_every_private_name_the_adapter_uses() -> None:
    assert _private_names_used(ftpadapter) == {name for _, name in ftpadapter.PRIVATE_NAMES}


def test_the_server_imports_no_private_pyftpdlib_name() -> None:
    from smsftp.simulator.service import ftpserver

    tree = ast.parse(inspect.getsource(ftpserver))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pyftpdlib")
        for alias in node.names
    }
    assert imported and not {n for n in imported if n.startswith("_")}
    assert not any(
        isinstance(node, ast.ImportFrom) and node.module in ("pyftpdlib", "pyftpdlib.ioloop") for node in ast.walk(tree)
    )


def test_the_server_touches_no_private_attribute_it_does_not_define() -> None:
    """Every ``x._name`` in ftpserver.py and ftpfaults.py is one of theirs; pyftpdlib's go through the adapter."""
    from smsftp.simulator.service import ftpfaults, ftpserver

    tree = ast.Module(
        body=[*ast.parse(inspect.getsource(ftpserver)).body, *ast.parse(inspect.getsource(ftpfaults)).body],
        type_ignores=[],
    )
    defined: set[str] = {"_socket"}  # pyOpenSSL's Connection's socket (ftpfaults' reset), not pyftpdlib's
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            defined |= {t.attr for t in node.targets if isinstance(t, ast.Attribute)}
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
    }
    used |= {  # getattr(x, "_name", ...)
        arg.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
        for arg in node.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("_")
    }
    assert used and used <= defined, f"private names from elsewhere: {sorted(used - defined)}"


def test_ascii_type_and_data_reply_helpers(channels: dict[str, Any]) -> None:
    control = channels["FTPHandler"]
    assert ftpadapter.ascii_type(control)  # pyftpdlib starts every session in ASCII, as RFC 959 says
    ftpadapter.set_ascii_type(control, False)
    assert not ftpadapter.ascii_type(control)
    ftpadapter.set_data_reply(channels["DTPHandler"], "452 full")
    assert channels["DTPHandler"]._resp[0] == "452 full"
    assert not ftpadapter.control_tls(channels["TLS_FTPHandler"]) and not ftpadapter.data_protected(control)
    assert not ftpadapter.is_closed(control) and ftpadapter.queued_upload_file(control) is None


def test_storage_error_unwraps_pyftpdlib_file_errors() -> None:
    from pyftpdlib.exceptions import _FileReadWriteError

    cause = OSError(errno.ENOSPC, "No space left on device")
    try:
        raise _FileReadWriteError(cause) from cause
    except _FileReadWriteError as wrapped:
        assert ftpadapter.storage_error(wrapped) is cause
    assert ftpadapter.storage_error(ValueError("x")) is None and ftpadapter.storage_error(None) is None


def test_real_time_loop_fires_timers_inside_freeze_time() -> None:
    """Scheduled calls (idle timeouts, the delayed 530) fire on real time while time.monotonic stands still."""
    fired: list[str] = []
    loop = ftpadapter.RealTimeIOLoop()
    with freezegun.freeze_time("2026-11-25 12:00:00"):
        assert time.monotonic() == time.monotonic()  # frozen
        loop.call_later(0.05, fired.append, "later")
        every = loop.call_every(0.02, fired.append, "every")
        late = loop.call_later(0.05, fired.append, "reset")
        late.reset()
        deadline = real_monotonic() + 5
        while fired.count("every") < 2 or "later" not in fired or "reset" not in fired:
            assert real_monotonic() < deadline, fired
            loop.loop(timeout=0.01, blocking=False)
        every.cancel()
    loop.close()
    assert fired.count("later") == 1 and fired.count("reset") == 1  # one-shot calls fire once


def test_pyftpdlib_globals_are_left_alone() -> None:
    """Importing and running the server patches nothing in pyftpdlib's modules (it used to replace ``timer``)."""
    from pyftpdlib import ioloop
    from pyftpdlib.handlers.ftp import data

    import smsftp.simulator.service.ftpserver  # noqa: F401

    assert ioloop.timer is time.monotonic and data.timer is time.monotonic
