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
            () => WebAssembly.instantiate(bytes, {env: {}}), {heapBytes: data.want});
        const instance = await m.withWasmWatched(
            async () => WebAssembly.instantiate(await WebAssembly.compile(bytes), {env: {}}), {heapBytes: data.want});
        // Pyodide's other module (a wasm-GC probe, no imports) is left alone.
        let probed = 0;
        const probe = await m.withWasmWatched(
            () => WebAssembly.instantiate(bytes), {heapBytes: data.want, onMemory: () => { probed += 1; }});
        return {plain: plain.instance.exports.memory.buffer.byteLength,
                grown: grown.instance.exports.memory.buffer.byteLength,
                fromModule: instance.exports.memory.buffer.byteLength,
                probe: probe.instance.exports.memory.buffer.byteLength, probed,
                restored: WebAssembly.instantiate === original};
    """, {"wasm": ONE_PAGE, "want": 5 * 65536 + 1})
    assert got["plain"] == 65536
    assert got["grown"] == got["fromModule"] == 6 * 65536   # whole pages, at least the size
    assert got["probe"] == 65536 and got["probed"] == 0
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


def test_a_module_compiled_earlier_is_instantiated_and_its_fresh_memory_is_shown_first():
    # The worker compiles pyodide.asm.wasm while the snapshot downloads, and XORs the
    # snapshot's start with the memory as instantiated (before any code runs).
    got = run_js("heap.js", """
        const bytes = new Uint8Array(data.wasm);
        const original = WebAssembly.instantiateStreaming;
        let seen = null;
        const result = await m.withWasmWatched(
            () => WebAssembly.instantiateStreaming(Promise.reject(new Error("the source is not read")), {env: {}}),
            {module: WebAssembly.compile(bytes), heapBytes: 2 * 65536, onMemory: (memory) => { seen = memory.buffer.byteLength; }});
        return {isModule: result.module instanceof WebAssembly.Module,
                memory: result.instance.exports.memory.buffer.byteLength, seen,
                restored: WebAssembly.instantiateStreaming === original};
    """, {"wasm": ONE_PAGE})
    assert got == {"isModule": True, "memory": 2 * 65536, "seen": 2 * 65536, "restored": True}


def test_a_failing_memory_check_rejects_the_start():
    got = run_js("heap.js", """
        const bytes = new Uint8Array(data.wasm);
        try {
            await m.withWasmWatched(async () => { await WebAssembly.instantiate(bytes, {env: {}}); return new Promise(() => {}); },
                                    {onMemory: () => { throw new Error("not the memory the snapshot was made against"); }});
        } catch (err) { return err.message; }
    """, {"wasm": ONE_PAGE})
    assert got == "not the memory the snapshot was made against"
