// Make room for a Pyodide memory snapshot before Pyodide copies it into the heap.
// Pyodide 314 sizes the heap for a snapshot with Emscripten's INITIAL_MEMORY, which its build
// never reads: the heap starts at its compiled 30 MiB and restoring a larger snapshot throws
// "offset is out of bounds" (pyodide/pyodide#6254). Growing the module's exported memory as
// soon as the module is instantiated, before Emscripten builds its views of the heap, gives
// the snapshot the room it needs. The snapshot stays an accelerator: if this fails, the
// worker still falls back to a standard boot.

const PAGE = 65536;

function grow(instance, bytes) {
  const memory = Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory);
  const missing = memory ? bytes - memory.buffer.byteLength : 0;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
}

/** Run `start` (which instantiates one wasm module) with that module's memory grown to at
 * least `bytes`; WebAssembly's own functions are restored afterwards. */
export async function withHeapAtLeast(bytes, start) {
  const { instantiate, instantiateStreaming } = WebAssembly;
  const growing = (fn) => async (...args) => {
    const result = await fn.apply(WebAssembly, args);
    grow(result instanceof WebAssembly.Instance ? result : result.instance, bytes);
    return result;
  };
  WebAssembly.instantiate = growing(instantiate);
  if (instantiateStreaming) WebAssembly.instantiateStreaming = growing(instantiateStreaming);
  try {
    return await start();
  } finally {
    WebAssembly.instantiate = instantiate;
    if (instantiateStreaming) WebAssembly.instantiateStreaming = instantiateStreaming;
  }
}
