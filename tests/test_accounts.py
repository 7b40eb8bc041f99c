"""Accounts TOML: the same file for `check --accounts` and `serve --accounts`."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsftp.simulator.rules.accounts import AccountsFileError, demo_account, load_accounts, parse_accounts


def test_full_account_table_is_read(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(
        '[accounts.acme_shop]\npassword = "s3cret"\nmode = "template"\nsenders = ["ACME", "79001234567"]\n'
        'default_sender = "ACME"\nvalidity = 180\nencoding = "cp1251"\ntimezone = "Asia/Yekaterinburg"\n'
        "reject_archive_on_bad_row = true\n",
        encoding="utf-8",
    )
    acct = load_accounts(path)["acme_shop"]
    assert acct.login == "acme_shop" and acct.password == "s3cret" and acct.mode == "template"
    assert acct.senders == ("ACME", "79001234567") and acct.default_sender == "ACME"
    assert acct.validity == 180 and acct.encoding == "cp1251" and acct.timezone == "Asia/Yekaterinburg"
    assert acct.reject_archive_on_bad_row is True and acct.senders_known is True


def test_defaults_match_the_document() -> None:
    acct = parse_accounts({"accounts": {"guest": {"password": "guest"}}})["guest"]
    assert (acct.mode, acct.validity, acct.encoding, acct.timezone) == ("auto", 1440, "utf-8", "Europe/Moscow")
    assert acct.validity_cap == 4320 and acct.max_parts == 255
    assert (acct.max_entries, acct.max_rows) == (1000, 5_000_000)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251", "utf-16", "koi8-r", "cp866", "latin-1"])
def test_text_encodings_are_accepted(encoding: str) -> None:
    acct = parse_accounts({"accounts": {"guest": {"encoding": encoding}}}, "acc.toml")["guest"]
    assert acct.encoding == encoding


def test_demo_account_uses_the_documents_examples() -> None:
    acct = demo_account()
    assert (acct.login, acct.password, acct.senders, acct.default_sender) == ("guest", "guest", ("TESTSMS",), "TESTSMS")


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"mode": "both"}, "mode"),
        ({"senders": "TESTSMS"}, "senders"),
        ({"encoding": "klingon"}, "encoding"),
        ({"encoding": "bz2_codec"}, "not a text encoding"),  # issue 10: a 1,850-byte zip took 4 GiB
        ({"encoding": "zlib_codec"}, "not a text encoding"),
        ({"encoding": "base64"}, "not a text encoding"),
        ({"encoding": 8}, "encoding"),
        ({"max_entries": 0}, "max_entries"),
        ({"max_rows": "many"}, "max_rows"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"validity": "1440"}, "validity"),
        ({"validity": 0}, "validity"),
        ({"reject_archive_on_bad_row": 1}, "reject_archive_on_bad_row"),
    ],
)
def test_bad_settings_name_the_file_account_and_key(settings: dict[str, object], needle: str) -> None:
    with pytest.raises(AccountsFileError) as exc:
        parse_accounts({"accounts": {"guest": settings}}, "acc.toml")
    assert "acc.toml" in str(exc.value) and "[accounts.guest]" in str(exc.value) and needle in str(exc.value)


def test_broken_toml_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[accounts.guest\n", encoding="utf-8")
    with pytest.raises(AccountsFileError, match=r"bad\.toml"):
        load_accounts(bad)
    with pytest.raises(AccountsFileError, match="no such file"):
        load_accounts(tmp_path / "nope.toml")
    with pytest.raises(AccountsFileError, match=r"no \[accounts\.LOGIN\]"):
        parse_accounts({})


@pytest.mark.parametrize("login", ["a\x00b", "x" * 65, "a/b", ".hidden", "-x", "sp ace", "логин"])
def test_an_unusable_login_is_refused_with_the_rule(login: str) -> None:
    """A login names a folder and starts every archive name (Z1, Q3): NUL, `/` or 300 characters never pass."""
    with pytest.raises(AccountsFileError, match="a login is 1 to 64 of the characters"):
        parse_accounts({"accounts": {login: {"password": "p"}}}, "accounts.toml")


def test_a_login_may_hold_underscores_dots_and_dashes() -> None:
    assert list(parse_accounts({"accounts": {"acme_shop.eu-1": {"password": "p"}}})) == ["acme_shop.eu-1"]


def test_every_problem_is_reported_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(
        '[accounts.guest]\npassword = "guest"\nsender = "TESTSMS"\n\n[accounts."shop"]\npasword = "x"\n'
        "max_part = 3\nmode = 'both'\n",
        encoding="utf-8",
    )
    with pytest.raises(AccountsFileError) as exc:
        load_accounts(path)
    found = [(p.line, p.login, p.key) for p in exc.value.problems]
    assert found == [
        (3, "guest", "sender"),
        (6, "shop", "pasword"),
        (7, "shop", "max_part"),
        (8, "shop", "mode"),
        (5, "shop", "password"),
    ]
    text = str(exc.value).splitlines()
    assert text[0] == f"{path}:3: [accounts.guest] sender: unknown key; did you mean 'senders'?"
    assert text[2] == f"{path}:7: [accounts.shop] max_part: unknown key; did you mean 'max_parts'?"
    assert text[4] == f"{path}:5: [accounts.shop] password: missing: every login to this account would fail"


def test_an_unknown_table_and_a_key_far_from_any_name_list_what_is_known() -> None:
    with pytest.raises(AccountsFileError) as exc:
        parse_accounts({"account": {"guest": {"password": "g"}}, "accounts": {"guest": {"password": "g", "zzz": 1}}})
    message = str(exc.value)
    assert "account: unknown table; did you mean 'accounts'?" in message
    assert "zzz: unknown key; known keys: password, mode, senders" in message
