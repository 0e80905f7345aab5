// The Python files (engine, its dependencies, toolkit, labs) arrive as one tar
// (sitebuild/pyfiles.py) and are written straight into Pyodide's file system: a few
// milliseconds, where pyodide.unpackArchive of six wheels and a zip took ~150 ms.
// Used by the worker and by sitebuild/snapshot.mjs, so the snapshot sees the same files.

const BLOCK = 512;
const text = new TextDecoder();

function field(bytes, start, length) {
  const end = bytes.subarray(start, start + length).indexOf(0);
  return text.decode(bytes.subarray(start, start + (end < 0 ? length : end)));
}

/** [{name, data}] of the regular files in a ustar archive (`data` are views into `tar`). */
export function untar(tar, what = "the Python files") {
  const files = [];
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    if (field(header, 257, 6) !== "ustar") throw new Error(`${what} is not a tar archive (no ustar header at byte ${at})`);
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    const prefix = field(header, 345, 155);
    const name = (prefix ? `${prefix}/` : "") + field(header, 0, 100);
    const type = String.fromCharCode(header[156] || 48);
    const start = at + BLOCK;
    if (start + size > tar.length) throw new Error(`${what} is truncated (${name} needs ${size} bytes)`);
    if (type === "0") files.push({ name, data: tar.subarray(start, start + size) });
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

/** Write `files` into `FS` (Emscripten's), mapping each name's first segment through
 *  `roots` ({"site-packages": "/lib/python3.14/site-packages", ...}). Returns the count. */
export function writeFiles(FS, files, roots) {
  const made = new Set();
  for (const { name, data } of files) {
    const slash = name.indexOf("/");
    const root = roots[name.slice(0, slash)];
    if (!root) throw new Error(`unexpected file ${name}: expected it under ${Object.keys(roots).join(" or ")}`);
    const path = root + name.slice(slash);
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (!made.has(dir)) { FS.mkdirTree(dir); made.add(dir); }
    FS.writeFile(path, data);
  }
  return files.length;
}
