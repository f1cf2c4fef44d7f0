// Writes dist/pyodide/python_stdlib_boot.zip: Pyodide's python_stdlib.zip with the bytecode of the modules a
// start of Python imports (Pyodide's own, the standard library's the kernel imports, and the kernel's own) appended.
//
// Why: Pyodide ships its standard library as source only, so a start that is not restored from a snapshot (the
// first visit, `snapshot: false`) compiles each of the some 140 modules it imports, on WebAssembly: 10–20 ms for a
// module of a few hundred lines, against well under 1 ms to unmarshal its bytecode. The worker boots from this
// zip whenever it does not restore a snapshot, and restores with the plain zip, whose bytes are a prefix of this
// one's: the bytecode is appended after Pyodide's entries, which keep their offsets, so the zip directory Python
// keeps in a snapshot, once the worker has taken the bytecode's entries out of it, is the plain zip's exactly. The
// build checks that below rather than trusting it.
//
// The bytecode is compiled here by the same Pyodide, in Node, so it is that interpreter's. It is "unchecked
// hash-based" (PEP 552): the zip never changes under it, so nothing is compared at import. Each code object names
// its source as an import from the zip would (/lib/python314.zip/asyncio/tasks.py), and the sources stay, so
// tracebacks and `inspect` read them as before. The result is cached in node_modules/.cache, keyed by its inputs.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pyodideDir = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
/** The kernel's Python, imported by every start (worker.ts: SNAPSHOT_IMPORTS), and where each lives. */
const KERNEL_FILES = {
  bento_kernel: 'src/kernel/pyodide/bento_kernel.py',
  bento_ipython: 'src/kernel/pyodide/bento_ipython.py',
  bento_pretty: 'src/kernel/pyodide/bento_pretty.py',
  bento_table: 'src/kernel/bento_table.py',
};
/** Bump when what this writes changes, so that a cached zip is not reused. */
const RECIPE = 3;

/** Where the boot zip is written, in Pyodide's own in-memory file system. */
const OUT = '/python_stdlib_boot.zip';

const APPEND_BYTECODE = `
OUT = ${JSON.stringify(OUT)}
KERNEL = ${JSON.stringify(Object.keys(KERNEL_FILES))}
import importlib.util, os, shutil, sys, zipfile, zipimport
from importlib._bootstrap_external import _code_to_hash_pyc

archive = next(p for p in sys.path if p.endswith(".zip"))
prefix = archive + "/"
# What this start imported from the zip (frozen modules, such as abc and codecs, are not read from it).
sources = sorted(
    m.__spec__.origin[len(prefix):]
    for m in list(sys.modules.values())
    if getattr(m, "__spec__", None) and (m.__spec__.origin or "").startswith(prefix) and m.__spec__.origin.endswith(".py")
)
def add(boot, entry_name, date_time, source, filename, checked):
    """Appends the bytecode of \`source\`, whose code names \`filename\`, as \`entry_name\`."""
    code = compile(source, filename, "exec", dont_inherit=True)
    entry = zipfile.ZipInfo(entry_name, date_time)
    entry.compress_type = zipfile.ZIP_DEFLATED
    boot.writestr(entry, _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=checked))

shutil.copyfile(archive, OUT)
with zipfile.ZipFile(archive) as plain, zipfile.ZipFile(OUT, "a") as boot:
    for name in sources:
        add(boot, name + "c", plain.getinfo(name).date_time, plain.read(name), prefix + name, checked=False)
    # The kernel's own modules, which the worker writes to /bento as source and copies these to where the import
    # looks for their bytecode there (__pycache__/bento_kernel.cpython-314.pyc; worker.ts: INSTALL_KERNEL_BYTECODE).
    # At the zip's top level, under that file name: no new folder, which Python's directory would list. "Checked":
    # a source that is not the one compiled here is compiled again, as before, never run from stale bytecode.
    for name in KERNEL:
        path = f"/bento/{name}.py"
        with open(path, "rb") as f:
            source = f.read()
        add(boot, os.path.basename(importlib.util.cache_from_source(path)), (2020, 1, 1, 0, 0, 0), source, path, checked=True)
    # Which plain zip this one extends: a snapshot made from it is restored with that one (bento_kernel.py reads it).
    boot.comment = f"bento-lite: python_stdlib.zip is {os.path.getsize(archive)} bytes".encode()

# The promise the worker relies on: without the bytecode's entries, the directory is the plain zip's.
# (Each entry starts with the path of the zip it was read from, the same for both once mounted in the worker.)
appended = zipimport._read_directory(OUT)
stripped = {name: entry[1:] for name, entry in appended.items() if not name.endswith(".pyc")}
if stripped != {name: entry[1:] for name, entry in zipimport._read_directory(archive).items()}:
    raise RuntimeError("the boot zip's directory without its bytecode differs from the plain zip's")
`;

/** The boot zip's bytes, made from Pyodide's own python_stdlib.zip (or taken from the cache). */
export async function stdlibBootZip() {
  const plain = await readFile(join(pyodideDir, 'python_stdlib.zip'));
  const { version } = JSON.parse(await readFile(join(pyodideDir, 'package.json'), 'utf8'));
  const sources = await Promise.all(Object.values(KERNEL_FILES).map((path) => readFile(join(root, path))));
  const hash = createHash('sha256').update(`${version} ${RECIPE}`).update(plain);
  for (const source of sources) hash.update(source);
  const cached = join(root, 'node_modules', '.cache', 'bento-lite', `python_stdlib_boot-${hash.digest('hex').slice(0, 16)}.zip`);
  const kept = await readFile(cached).catch(() => undefined);
  if (kept) return kept;
  const { loadPyodide } = await import('pyodide');
  const py = await loadPyodide({ indexURL: `${pyodideDir}/` });
  py.FS.mkdirTree('/bento');
  Object.keys(KERNEL_FILES).forEach((name, i) => py.FS.writeFile(`/bento/${name}.py`, sources[i]));
  py.runPython(`import sys\nsys.path.insert(0, "/bento")\nimport ${Object.keys(KERNEL_FILES).join(', ')}`);
  py.runPython(APPEND_BYTECODE);
  const bytes = Buffer.from(py.FS.readFile(OUT));
  await mkdir(dirname(cached), { recursive: true });
  await writeFile(`${cached}.tmp`, bytes);
  await rename(`${cached}.tmp`, cached);
  return bytes;
}
