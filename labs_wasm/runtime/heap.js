// Watch Pyodide's one WebAssembly instantiation, for two reasons.
// 1. Make room for a memory snapshot before Pyodide copies it into the heap. Pyodide 314
//    sizes the heap for a snapshot with Emscripten's INITIAL_MEMORY, which its build never
//    reads: the heap starts at its compiled 30 MiB and restoring a larger snapshot throws
//    "offset is out of bounds" (pyodide/pyodide#6254). Growing the module's exported memory
//    as soon as the module is instantiated, before Emscripten builds its views of the heap,
//    gives the snapshot the room it needs.
// 2. Pyodide 314 catches a failed instantiation (pyodide.asm.wasm missing, truncated, not
//    wasm), logs "wasm instantiation failed!" and never settles loadPyodide(): the boot would
//    hang until the deadline. Here that failure rejects the start instead.
// It also lets the worker hand over a module it compiled earlier (while the snapshot was
// still downloading) and see the fresh memory before Pyodide restores a snapshot into it.

const PAGE = 65536;

function grow(instance, bytes) {
  const memory = Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory);
  const missing = memory ? bytes - memory.buffer.byteLength : 0;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
}

/** Run `start` (which instantiates one wasm module) with that module's memory grown to at
 * least `heapBytes`, rejecting as soon as the instantiation fails; WebAssembly's own
 * functions are restored afterwards. `module` (a promise of a compiled WebAssembly.Module)
 * is instantiated instead of the source `start` passes to instantiateStreaming.
 * `onMemory(memory)` sees the instance's WebAssembly.Memory as instantiated (data segments
 * only, grown), before any code runs. */
export async function withWasmWatched(start, { heapBytes = 0, module = null, onMemory = null } = {}) {
  const { instantiate, instantiateStreaming } = WebAssembly;
  let failed;
  const failure = new Promise((_, reject) => { failed = reject; });
  const compiled = async (source, imports) => {
    Promise.resolve(source).catch(() => {}); // not read: the module was compiled from elsewhere
    const ready = await module;
    return { module: ready, instance: await instantiate.call(WebAssembly, ready, imports) };
  };
  // Pyodide instantiates one more module, without imports (a probe for wasm-GC support, when
  // pyodide.mjs loads): only an instantiation with Emscripten's `env` imports is watched.
  const watched = (fn) => async (...args) => {
    if (!args[1]?.env) return fn.apply(WebAssembly, args);
    let result;
    try {
      result = await fn.apply(WebAssembly, args);
    } catch (err) {
      failed(new Error(`Python's WebAssembly module could not be compiled (${err?.message ?? err})`));
      throw err;
    }
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    if (heapBytes) grow(instance, heapBytes);
    try {
      await onMemory?.(memoryOf(instance));
    } catch (err) {
      failed(err);
      throw err;
    }
    return result;
  };
  WebAssembly.instantiate = watched(instantiate);
  if (instantiateStreaming) WebAssembly.instantiateStreaming = watched(module ? compiled : instantiateStreaming);
  try {
    return await Promise.race([start(), failure]);
  } finally {
    WebAssembly.instantiate = instantiate;
    if (instantiateStreaming) WebAssembly.instantiateStreaming = instantiateStreaming;
  }
}

function memoryOf(instance) {
  return Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory) ?? null;
}
