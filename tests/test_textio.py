"""Decoding and `;`-separated records (Z4, Z5, Q5, Q6): simulator/textio.py."""

from __future__ import annotations

import csv
import io
import random

import pytest

from smsftp.simulator.rules.diagnostics import Diagnostic, collect
from smsftp.simulator.rules.textio import MAX_LINE_CHARS, CsvFile, TextSource

FILE = "sms/contacts.csv"


def table(data: bytes, encoding: str = "utf-8", chunk: int = 64 * 1024) -> CsvFile:
    return CsvFile(TextSource(io.BytesIO(data), encoding, FILE, chunk_bytes=chunk))


def read_all(
    data: bytes,
    encoding: str = "utf-8",
    chunk: int = 64 * 1024,
) -> tuple[list[str], list[tuple[int, list[str]]], list[Diagnostic]]:
    """Header names, records with their first line, and every diagnostic (fatal last)."""
    t = table(data, encoding, chunk)
    notes: list[Diagnostic] = []
    header, found = collect(t.read_header())
    if t.stopped:
        return [], [], list(t.stop_reasons())
    notes += [*t.notes(), *found]
    rows: list[tuple[int, list[str]]] = []
    if header is None:
        return [], rows, notes
    rows.extend(t.records(len(header.names)))
    notes += t.stop_reasons()
    return header.names, rows, notes


def codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]


EXCEL = (
    b'\xef\xbb\xbfphone;attr1;attr2\r\n79031234567;"Ivanov; Ivan";"two\r\nlines"\r\n\r\n79031234568;"say ""hi""";x\r\n'
)


def test_q5_bom_stripped_with_warning_and_excel_quoting_z5() -> None:
    names, rows, notes = read_all(EXCEL)
    assert names == ["phone", "attr1", "attr2"]
    assert rows == [(2, ["79031234567", "Ivanov; Ivan", "two\r\nlines"]), (5, ["79031234568", 'say "hi"', "x"])]
    assert codes(notes) == ["SMS301"]
    assert (notes[0].line, notes[0].column, notes[0].file) == (1, 1, FILE)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_z5_records_and_lines_do_not_depend_on_chunk_boundaries(chunk: int) -> None:
    names, rows, notes = read_all(EXCEL, chunk=chunk)
    assert names == ["phone", "attr1", "attr2"]
    assert [line for line, _ in rows] == [2, 5]
    assert rows[0][1][2] == "two\r\nlines"
    assert codes(notes) == ["SMS301"]


@pytest.mark.parametrize("eol", ["\r\n", "\n", "\r"])
def test_z5_line_endings_crlf_lf_cr(eol: str) -> None:
    data = eol.join(["phone;attr1", "79031234567;a", "", "79031234568;b", ""]).encode()
    _, rows, notes = read_all(data, chunk=3)
    assert rows == [(2, ["79031234567", "a"]), (4, ["79031234568", "b"])]
    assert notes == []


def test_z5_matches_csv_reader_on_random_input() -> None:
    """Whatever the chunking, records equal csv.reader's over the whole text, and lines are physical lines."""
    rng = random.Random(20261125)
    alphabet = ["a", "Я", ";", '"', "\n", "\r\n", "\r", " ", "1", "€"]
    for _ in range(200):
        text = "h1;h2\n" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        expected = [
            r
            for r in csv.reader(io.StringIO(text, newline=""), delimiter=";")
            if r and not (len(r) == 1 and not r[0].strip())
        ]  # blank lines are skipped
        t = table(text.encode(), chunk=rng.randint(1, 9))
        collect(t.read_header())
        got: list[list[str]] = []
        for line, fields in t.records(2, pad=False):
            got.append(fields)
            before = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            assert 1 <= line <= len(before)
        if t.stopped:
            assert [d.code for d in t.stop_reasons()] == ["SMS303"]
            continue
        assert got == expected[1:]


def test_z4_cp1251_file_for_cp1251_account_is_read() -> None:
    data = "phone;attr1\r\n79031234567;Иван Петров\r\n".encode("cp1251")
    _, rows, notes = read_all(data, encoding="cp1251")
    assert rows == [(2, ["79031234567", "Иван Петров"])]
    assert notes == []


@pytest.mark.parametrize("chunk", [4, 13, 64 * 1024])
def test_z4_cp1251_bytes_in_utf8_account_sms302_with_position_and_hint(chunk: int) -> None:
    data = "phone;attr1\r\n79031234567;Ok\r\n79031234568;Иван Петров\r\n".encode("cp1251")
    _, rows, notes = read_all(data, chunk=chunk)
    assert rows == [(2, ["79031234567", "Ok"])]  # rows before the bad byte are read
    bad = notes[-1]
    assert bad.code == "SMS302"
    assert (bad.line, bad.column) == (3, 13)
    assert "cp1251" in bad.hint and "UTF-8" in bad.hint
    assert "C8" in bad.message


def test_z4_column_counts_characters_not_bytes() -> None:
    data = "phone;attr1\n79031234567;Ёлка ".encode() + b"\xff\n"
    _, _, notes = read_all(data)
    assert (notes[-1].code, notes[-1].line, notes[-1].column) == ("SMS302", 2, 18)
    assert "cp1251" not in notes[-1].hint  # 0xFF alone does not look like Cyrillic text


def test_z4_non_cyrillic_invalid_bytes_get_no_cp1251_hint() -> None:
    _, _, notes = read_all(b"phone;attr1\n7903;\x80\x81\x82\x83\n")
    assert notes[-1].code == "SMS302"
    assert "cp1251" not in notes[-1].hint


def test_z4_utf16_file_is_recognised() -> None:
    _, _, notes = read_all("phone;attr1\n79031234567;x\n".encode("utf-16"))
    assert notes[-1].code == "SMS302"
    assert "UTF-16" in notes[-1].hint
    _, _, notes = read_all("phone;attr1\n".encode("utf-16-le"))
    assert notes[-1].code == "SMS302" and "UTF-16" in notes[-1].hint


def test_z4_nul_in_text_is_sms302_with_position() -> None:
    _, rows, notes = read_all(b"phone;attr1\n79031234567;a\n79031234568;b\x00c\n")
    assert rows == [(2, ["79031234567", "a"])]
    assert (notes[-1].code, notes[-1].line, notes[-1].column) == ("SMS302", 3, 14)


def test_q5_bom_with_cp1251_account_reads_utf8() -> None:
    data = "\ufeffphone;attr1\n79031234567;Иван\n".encode()
    _, rows, notes = read_all(data, encoding="cp1251")
    assert rows == [(2, ["79031234567", "Иван"])]
    assert codes(notes) == ["SMS301"] and "cp1251" in notes[0].message


def test_z5_unterminated_quote_sms303() -> None:
    _, rows, notes = read_all(b'phone;attr1\n79031234567;ok\n79031234568;"never closed\n79031234569;x\n')
    assert codes(notes) == ["SMS303"]
    assert notes[0].line == 3
    assert rows[0] == (2, ["79031234567", "ok"])


def test_z5_quote_inside_unquoted_field_is_literal() -> None:
    _, rows, notes = read_all(b'phone;attr1\n79031234567;5" screen\n')
    assert rows == [(2, ["79031234567", '5" screen'])] and notes == []


def test_z5_huge_line_sms311_bounded() -> None:
    data = b"phone;attr1\n" + b"7" * (MAX_LINE_CHARS + 10)
    _, _, notes = read_all(data, chunk=256 * 1024)
    assert codes(notes) == ["SMS311"] and notes[0].line == 2


def test_z5_huge_quoted_field_is_unterminated_quote() -> None:
    data = b'phone;attr1\n79031234567;"' + b"x\n" * (csv.field_size_limit() // 2 + 10)
    _, _, notes = read_all(data)
    assert codes(notes) == ["SMS303"] and notes[0].line == 2


@pytest.mark.parametrize("header,label", [(b"phone,attr1\n", "`,`"), (b"phone\tattr1\n", "tabs")])
def test_z5_wrong_delimiter_sms304(header: bytes, label: str) -> None:
    names, _, notes = read_all(header + b"79031234567,x\n")
    assert names == [] and codes(notes) == ["SMS304"] and label in notes[0].message


def test_c1_empty_file_sms310() -> None:
    for data in (b"", b"\xef\xbb\xbf", b"\r\n\r\n"):
        _, _, notes = read_all(data)
        assert codes(notes)[-1] == "SMS310"


def test_q6_header_trimmed_sms308_duplicate_sms306() -> None:
    names, _, notes = read_all(b" phone ;attr1;attr1\n79031234567;a;b\n")
    assert names == ["phone", "attr1", "attr1"]
    assert codes(notes) == ["SMS308", "SMS306"]
    assert notes[1].column == 15


def test_z5_field_count_sms309_pads_missing_trailing() -> None:
    t = table(b"phone;attr1;attr2\n79031234567\n79031234568;a;b;c\n")
    header, _ = collect(t.read_header())
    assert header is not None
    seen: list[tuple[str, int | None, int | None]] = []

    def report(
        code: str,
        message: str | None = None,
        *,
        hint: str | None = None,
        line: int | None = None,
        field: int | None = None,
    ) -> None:
        seen.append((code, line, field))

    rows = list(t.records(3, report))
    assert rows == [(2, ["79031234567", "", ""]), (3, ["79031234568", "a", "b", "c"])]
    assert seen == [("SMS309", 2, None), ("SMS309", 3, 3)]
    assert t.locate(3, 3) == (3, 17)


def test_z5_locate_field_columns_across_quotes_and_lines() -> None:
    t = table(b'phone;attr1;attr2\n79031234567;"a;\nb";tail\n')
    header, _ = collect(t.read_header())
    assert header is not None
    assert list(t.records(3)) == [(2, ["79031234567", "a;\nb", "tail"])]
    assert t.locate(2, 0) == (2, 1)
    assert t.locate(2, 1) == (2, 13)
    assert t.locate(2, 2) == (3, 4)
    assert t.locate(2, 9) == (2, None)


def test_z5_blank_and_space_only_lines_skipped() -> None:
    _, rows, notes = read_all(b"\n\nphone;attr1\n\n  \n79031234567;a\n")
    assert rows == [(6, ["79031234567", "a"])] and notes == []


def test_z5_reading_is_streamed_not_whole() -> None:
    """The decoder asks for bounded chunks, never the whole entry."""
    sizes: list[int] = []

    class Spy(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            sizes.append(-1 if size is None else size)
            return super().read(size)

    body = b"phone;attr1\n" + b"79031234567;hello\n" * 50_000
    t = CsvFile(TextSource(Spy(body), "utf-8", FILE, chunk_bytes=4096))
    header, _ = collect(t.read_header())
    assert header is not None
    assert sum(1 for _ in t.records(2)) == 50_000
    assert sizes and all(0 < s <= 4096 for s in sizes)


def test_z4_utf8_sequence_cut_at_end_of_file_sms302() -> None:
    _, rows, notes = read_all("phone;attr1\n79031234567;Ив".encode()[:-1], chunk=5)
    assert rows == []
    assert (notes[-1].code, notes[-1].line, notes[-1].column) == ("SMS302", 2, 14)


def test_z4_byte_undefined_in_cp1251_account_sms302() -> None:
    _, _, notes = read_all(b"phone;attr1\n79031234567;\x98\n", encoding="cp1251")
    assert (notes[-1].code, notes[-1].line, notes[-1].column) == ("SMS302", 2, 13)
    assert "cp1251" in notes[-1].message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "gb18030"])
@pytest.mark.parametrize("chunk", [5, 4096])
def test_q20_astral_is_set_once_a_character_outside_the_bmp_has_been_read(encoding: str, chunk: int) -> None:
    """Z4/Q20: TextSource.astral is false until a character outside the BMP (an emoji) was read, then true.

    "Read" counts what was decoded ahead of the reader: true early is only slower, never wrong.
    """
    head = "phone;attr1\n" + "".join(f"7903123{i:04d};Иван\n" for i in range(50))
    data = (head + "79031234567;улыбка \U0001f600\n79031234568;x\n").encode(encoding)
    t = table(data, encoding, chunk)
    collect(t.read_header())
    seen = [(fields[1], t.source.astral) for fields in t.reader]
    at = seen.index(("улыбка \U0001f600", True))
    assert all(astral for _, astral in seen[at:])
    if chunk < 100:
        assert not any(astral for _, astral in seen[: at - 5])  # rows read well before it
    plain = table(head.encode(encoding), encoding, chunk)
    collect(plain.read_header())
    assert sum(1 for _ in plain.reader) == 50 and not plain.source.astral


# --- Q29: CSV quoting -------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [7, 64 * 1024])
def test_q29_quoting_is_noted_once_at_the_first_quoted_field(chunk: int) -> None:
    data = b'phone;attr1\r\n79031234567;a"b\r\n79031234568;"x;y"\r\n79031234569;"z"\r\n'
    t = table(data, chunk=chunk)
    header, _ = collect(t.read_header())
    assert header is not None
    assert [fields for _, fields in t.records(2)] == [
        ["79031234567", 'a"b'],
        ["79031234568", "x;y"],
        ["79031234569", "z"],
    ]
    notes = list(t.quoting_note())
    assert [(d.code, d.severity.value, d.line) for d in notes] == [("SMS312", "info", 3)]


def test_q29_a_quote_inside_a_field_is_no_quoting() -> None:
    t = table(b'phone;attr1\n79031234567;He said "hi"\n')
    collect(t.read_header())
    assert [fields for _, fields in t.records(2)] == [["79031234567", 'He said "hi"']]
    assert list(t.quoting_note()) == []


def test_q29_literal_quoting_keeps_quotes_and_splits_at_every_separator() -> None:
    data = b'phone;attr1;attr2\n79031234567;"x;y"\n79031234568;"open\n'
    t = CsvFile(TextSource(io.BytesIO(data), "utf-8", FILE), quoting="literal")
    header, _ = collect(t.read_header())
    assert header is not None and header.names == ["phone", "attr1", "attr2"]
    rows = [fields for _, fields in t.records(3)]
    assert rows == [["79031234567", '"x', 'y"'], ["79031234568", '"open', ""]]  # no SMS303: nothing opens
    assert list(t.quoting_note()) == []
