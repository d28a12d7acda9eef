"""transports.multipart: encoding in chunks, boundaries, parsing, every malformed body."""

from __future__ import annotations

import random
from email.parser import BytesParser
from email.policy import HTTP

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_protocol.errors import InvalidArgumentsError
from transports.multipart import (
    FilePart,
    MultipartBody,
    MultipartError,
    MultipartTooLarge,
    build_send_file_body,
    make_boundary,
    parse_header_params,
    parse_multipart,
)

pytestmark = pytest.mark.timeout(10)


def test_make_boundary_is_deterministic_from_the_injected_rng() -> None:
    first = make_boundary(random.Random(7).random)
    assert first == make_boundary(random.Random(7).random)
    assert first != make_boundary(random.Random(8).random)
    assert make_boundary(lambda: 0.0, length=3) == "customer-protocol-000"
    assert make_boundary(lambda: 0.999, length=2) == "customer-protocol-zz"
    with pytest.raises(InvalidArgumentsError):
        make_boundary(lambda: 1.0)
    with pytest.raises(InvalidArgumentsError):
        make_boundary(lambda: 0.5, length=0)


def test_body_layout_and_chunks() -> None:
    body = build_send_file_body(
        chat_id="C1",
        custom_id="cu",
        file=FilePart(filename="a.txt", content_type="text/plain", data=b"hello"),
        boundary="XyZ",
        chunk_size=7,
    )
    expected = (
        b'--XyZ\r\nContent-Disposition: form-data; name="payload.chat_id"\r\n\r\nC1\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="payload.custom_id"\r\n\r\ncu\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="payload.file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n"
    )
    assert body.bytes_total == len(expected)
    assert body.content_type == "multipart/form-data; boundary=XyZ"
    chunks = []
    while chunk := body.next_chunk():
        chunks.append(chunk)
        assert body.bytes_sent == sum(map(len, chunks))
    assert b"".join(chunks) == expected
    assert all(len(c) == 7 for c in chunks[:-1])
    assert body.done and body.next_chunk() == b""
    assert "bytes_total" in repr(body)


def test_the_encoding_is_what_the_standard_library_parses() -> None:
    data = bytes(range(256)) * 3
    body = build_send_file_body(
        chat_id="C1",
        file=FilePart(filename='q"uo\r\nte.bin', data=data),
        boundary="b0und",
    )
    encoded = b"".join(body)
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {body.content_type}\r\n\r\n".encode() + encoded
    )
    parts = list(message.iter_parts())
    assert [p.get_param("name", header="content-disposition") for p in parts] == [
        "payload.chat_id",
        "payload.file",
    ]
    assert parts[1].get_payload(decode=True) == data
    form = parse_multipart(encoded, body.content_type)
    assert form.files["payload.file"].filename == 'q"uo\r\nte.bin'


def test_invalid_encoder_input() -> None:
    with pytest.raises(InvalidArgumentsError, match="boundary"):
        MultipartBody(boundary="has space")
    with pytest.raises(InvalidArgumentsError, match="boundary"):
        MultipartBody(boundary="x" * 71)
    with pytest.raises(InvalidArgumentsError, match="choose another"):
        build_send_file_body(chat_id="C", file=FilePart(filename="f", data=b"--bb"), boundary="bb")
    with pytest.raises(InvalidArgumentsError, match="choose another"):
        MultipartBody(fields=[("a", "--bb")], boundary="bb")
    with pytest.raises(InvalidArgumentsError, match="CR"):
        MultipartBody(fields=[("a\r\n", "v")], boundary="bb")
    with pytest.raises(InvalidArgumentsError, match="CR"):
        MultipartBody(files=[("f", FilePart(filename="f", content_type="a\r\nb"))], boundary="bb")
    with pytest.raises(InvalidArgumentsError, match="Unicode"):
        MultipartBody(fields=[("a", "\ud800")], boundary="bb")
    with pytest.raises(InvalidArgumentsError, match="chunk_size"):
        MultipartBody(boundary="bb", chunk_size=0)
    with pytest.raises(InvalidArgumentsError, match="chat_id"):
        build_send_file_body(chat_id="", file=FilePart(filename="f"), boundary="bb")
    with pytest.raises(InvalidArgumentsError, match=r"max size is 0\.00 MB"):
        build_send_file_body(
            chat_id="C", file=FilePart(filename="f", data=b"x"), boundary="bb", max_file_size=0
        )


@given(
    fields=st.dictionaries(
        st.text(
            st.characters(exclude_characters="\r\n\x00%", exclude_categories=["Cs"]),
            min_size=1,
            max_size=8,
        ),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
        max_size=4,
    ),
    data=st.binary(max_size=300),
    filename=st.text(st.characters(exclude_characters="%", exclude_categories=["Cs"]), max_size=10),
    chunk_size=st.integers(1, 50),
)
def test_round_trip(fields: dict[str, str], data: bytes, filename: str, chunk_size: int) -> None:
    boundary = "rt-boundary-0123456789"
    body = MultipartBody(
        fields=sorted(fields.items()),
        files=[("\x01file", FilePart(filename=filename, data=data))],
        boundary=boundary,
        chunk_size=chunk_size,
    )
    encoded = b"".join(body)
    assert len(encoded) == body.bytes_total == body.bytes_sent
    form = parse_multipart(encoded, body.content_type)
    assert form.fields == fields
    assert form.files == {"\x01file": FilePart(filename=filename, data=data)}


def test_parse_accepts_preamble_epilogue_and_padding() -> None:
    body = (
        b"preamble\r\n--b \t\r\n"
        b"Content-Disposition: form-data; name=plain\r\n\r\nv\r\n--b--\r\nepilogue"
    )
    assert parse_multipart(body, 'multipart/form-data; boundary="b"').fields == {"plain": "v"}


GOOD_HEAD = b'--b\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n'


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "text/plain", "not multipart"),
        (b"", "multipart/form-data", "boundary"),
        (b"no delimiter", "multipart/form-data; boundary=b", "no multipart delimiter"),
        (b"--bX\r\n", "multipart/form-data; boundary=b", "delimiter line"),
        (b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nv', "", "unterminated"),
        (b"--b\r\nno header end\r\n--b--", "", "header block"),
        (b"--b\r\nbroken\r\n\r\nv\r\n--b--", "", "header line"),
        (b"--b\r\nContent-Type: x\r\n\r\nv\r\n--b--", "", "Content-Disposition"),
        (b"--b\r\nContent-Disposition: inline; name=a\r\n\r\nv\r\n--b--", "", "form-data"),
        (b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\xff\r\n--b--", "", "UTF-8"),
        (b"--b\r\nContent-Disposition: form-data; name=\xff\r\n\r\nv\r\n--b--", "", "UTF-8"),
        (b'--b\r\nContent-Disposition: form-data; name="a\r\n\r\nv\r\n--b--', "", "quoted"),
        (
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n"
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nw\r\n--b--",
            "",
            "repeated",
        ),
    ],
)
def test_malformed_bodies(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(MultipartError, match=message) as info:
        parse_multipart(body, content_type or "multipart/form-data; boundary=b")
    assert not isinstance(info.value, MultipartTooLarge)


def test_file_limit_and_part_limit() -> None:
    body = GOOD_HEAD + b"12345\r\n--b--"
    assert parse_multipart(body, "multipart/form-data; boundary=b", max_file_size=5).files
    with pytest.raises(MultipartTooLarge):
        parse_multipart(body, "multipart/form-data; boundary=b", max_file_size=4)
    many = b"".join(
        f"--b\r\nContent-Disposition: form-data; name=f{i}\r\n\r\nv\r\n".encode() for i in range(3)
    )
    with pytest.raises(MultipartError, match="too many"):
        parse_multipart(many + b"--b--", "multipart/form-data; boundary=b", max_parts=2)
    huge = b"--b\r\nX: " + b"a" * 9000 + b"\r\n\r\nv\r\n--b--"
    with pytest.raises(MultipartError, match="too long"):
        parse_multipart(huge, "multipart/form-data; boundary=b")


def test_parse_header_params() -> None:
    assert parse_header_params('Form-Data; name="a;b"; filename="c\\"d"; flag; x = y') == (
        "form-data",
        {"name": "a;b", "filename": 'c"d', "flag": "", "x": "y"},
    )
    assert parse_header_params("text/plain") == ("text/plain", {})


def test_file_part_repr_hides_the_content() -> None:
    part = FilePart(filename="f", data=b"secret-bytes")
    assert "secret-bytes" not in repr(part) and part.size == 12
