// Builds, in memory, a real pure-Python wheel and Pyodide lockfiles that list it, for the package-loading
// tests: a good lockfile, one with a wrong sha256 (Pyodide then resolves loadPackage silently), and one whose
// wheel URL never answers (to exercise timeouts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { crc32, deflateRawSync } from 'node:zlib';

function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

export function buildTestPackages() {
  const name = 'bento_hello';
  const version = '1.0.0';
  const dist = `${name}-${version}.dist-info`;
  const files = {
    [`${name}/__init__.py`]: `"""A package built by Bento Lite's tests."""\n__version__ = "${version}"\n\n\ndef greet(who):\n    return f"hello, {who}"\n`,
    [`${dist}/METADATA`]: `Metadata-Version: 2.1\nName: bento-hello\nVersion: ${version}\n`,
    [`${dist}/WHEEL`]: 'Wheel-Version: 1.0\nGenerator: bento-lite-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    [`${dist}/top_level.txt`]: `${name}\n`,
  };
  files[`${dist}/RECORD`] = [...Object.keys(files).map((f) => `${f},,`), `${dist}/RECORD,,`, ''].join('\n');
  const wheel = zip(files);
  const wheelName = `${name}-${version}-py3-none-any.whl`;
  const sha256 = createHash('sha256').update(wheel).digest('hex');
  const pyodideLock = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('pyodide/pyodide-lock.json'), 'utf8'));
  const lock = (fileName, hash) =>
    JSON.stringify({
      info: pyodideLock.info,
      packages: {
        'bento-hello': {
          name: 'bento-hello',
          version,
          file_name: fileName,
          install_dir: 'site',
          sha256: hash,
          package_type: 'package',
          imports: [name],
          depends: [],
          unvendored_tests: false,
          shared_library: false,
        },
      },
    });
  return new Map([
    [`/test-packages/good/${wheelName}`, { type: 'application/zip', body: wheel }],
    ['/test-packages/good/pyodide-lock.json', { type: 'application/json', body: lock(wheelName, sha256) }],
    [`/test-packages/badhash/${wheelName}`, { type: 'application/zip', body: wheel }],
    ['/test-packages/badhash/pyodide-lock.json', { type: 'application/json', body: lock(wheelName, '0'.repeat(64)) }],
    ['/test-packages/hang/pyodide-lock.json', { type: 'application/json', body: lock(`never-answers/${wheelName}`, sha256) }],
  ]);
}
