"""runtime/heap.js grows a wasm module's memory before Pyodide copies a snapshot into it
(pyodide/pyodide#6254: a snapshot over the compiled 30 MiB heap failed to restore), and puts
WebAssembly's functions back afterwards. Run under Node on a real (tiny) wasm module."""
from __future__ import annotations

from jsnode import run_js

# (module (memory (export "memory") 1)): one 64 KiB page, exported.
ONE_PAGE = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01,
            0x07, 0x0a, 0x01, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00]


def test_heap_grows_to_the_snapshot_size_and_restores_webassembly():
    got = run_js("heap.js", """
        const bytes = new Uint8Array(data.wasm);
        const original = WebAssembly.instantiate;
        const plain = await WebAssembly.instantiate(bytes, {});
        const grown = await m.withWasmWatched(
            () => WebAssembly.instantiate(bytes, {}), {heapBytes: data.want});
        const instance = await m.withWasmWatched(
            async () => WebAssembly.instantiate(await WebAssembly.compile(bytes), {}), {heapBytes: data.want});
        return {plain: plain.instance.exports.memory.buffer.byteLength,
                grown: grown.instance.exports.memory.buffer.byteLength,
                fromModule: instance.exports.memory.buffer.byteLength,
                restored: WebAssembly.instantiate === original};
    """, {"wasm": ONE_PAGE, "want": 5 * 65536 + 1})
    assert got["plain"] == 65536
    assert got["grown"] == got["fromModule"] == 6 * 65536   # whole pages, at least the size
    assert got["restored"] is True


def test_heap_restores_webassembly_when_the_start_fails():
    got = run_js("heap.js", """
        const original = WebAssembly.instantiate;
        let message = null;
        try { await m.withWasmWatched(async () => { throw new Error("boom"); }, {heapBytes: 1 << 20}); }
        catch (err) { message = err.message; }
        return {message, restored: WebAssembly.instantiate === original};
    """)
    assert got == {"message": "boom", "restored": True}
