"""runtime/fetching.js gunzipIfGzip: a gzip stream is decompressed as it streams; plain bytes
(a server that sent a .gz with its own Content-Encoding: the browser already decompressed it)
pass through, also when gzip's two magic bytes arrive in separate chunks."""
from __future__ import annotations

import gzip

from jsnode import run_js

TEXT = b"import labkit\n" * 2000


def gunzip_in_node(chunks: list[bytes]):
    return run_js("fetching.js", """
        const chunks = data.chunks.map((c) => new Uint8Array(c));
        const source = new ReadableStream({ start(out) { chunks.forEach((c) => out.enqueue(c)); out.close(); } });
        const { gzip, stream } = await m.gunzipIfGzip(source);
        return { gzip, text: new TextDecoder().decode(await m.collect(stream)) };
    """, {"chunks": [list(c) for c in chunks]})


def test_gzip_is_decompressed_even_when_its_magic_bytes_arrive_one_at_a_time():
    packed = gzip.compress(TEXT)
    assert gunzip_in_node([packed[:1], packed[1:2], packed[2:100], packed[100:]]) == {"gzip": True, "text": TEXT.decode()}


def test_plain_bytes_pass_through():
    assert gunzip_in_node([TEXT[:1], TEXT[1:]]) == {"gzip": False, "text": TEXT.decode()}
