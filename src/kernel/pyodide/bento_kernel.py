"""The Python half of Bento Lite's serverless kernel.

Runs inside Pyodide in a worker. Each kernel session has its own namespace (a `__main__`-like module) in
this one interpreter. The JavaScript half (worker.ts) calls `run_cell`, `complete`, `inspect_code`,
`is_complete`, `reset_session`, `inject_table` and `extract_table`; messages go back to the page through the
`emit` callable it passes in, as (msg_type, JSON content) pairs shaped like Jupyter IOPub messages.

Behaves like IPython where a user would notice: last-expression results with Out[n], `;` suppression,
`_`/`__`/`In`/`Out` history, pretty printing, the rich display protocol, `display()` with display ids,
IPython-shaped tracebacks, top-level await and `input()`.
"""

import ast
import asyncio
import base64
import builtins
import codeop
import collections
import csv  # noqa: F401 -- not used here: see the note above after_restore()
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import io
import json
import linecache
import re
import sys
import time
import tokenize
import traceback
import types
import uuid

_KERNEL_FILE = __file__ if "__file__" in globals() else "<bento_kernel>"
_KERNEL_FILES = {_KERNEL_FILE.replace("bento_kernel.py", name) for name in ("bento_kernel.py", "bento_ipython.py", "bento_pretty.py")}

# ---------------------------------------------------------------------------------------------------------
# Sessions and routing


class Session:
    def __init__(self, session_id):
        self.id = session_id
        self.main = types.ModuleType("__main__")
        self.ns = self.main.__dict__
        self.execution_count = 0
        self.emit = None  # the JS callable of the latest execution (background output goes there too)
        self.read_input = None
        self.load_packages = None
        self.payload = []  # execute_reply payloads of the running cell (the pager's `page`)
        self.inline_figures = False
        self.float_format = "%r"  # %precision
        self.hidden = {}  # what the kernel put in the namespace: %who leaves these out
        self.input_history = ["", "", "", ""]  # the raw inputs _i00 (this cell), _i, _ii, _iii
        self.user_magics = {"line": {}, "cell": {}}  # registered with IPython.core.magic.register_*_magic
        self.task = None
        self.exec_id = None
        self._init_namespace()

    def _init_namespace(self, history=None):
        import bento_ipython

        ns = self.ns
        shell = self.shell = bento_ipython.BentoShell(self)
        ns.update(
            {
                "__name__": "__main__",
                "__builtins__": builtins,
                "In": history if history is not None else [""],
                "Out": {},
                "_": "",
                "__": "",
                "___": "",
                "_i": "",
                "_ii": "",
                "_iii": "",
                "display": display,
                "get_ipython": lambda: shell,
            }
        )
        ns["_ih"] = ns["In"]
        ns["_oh"] = ns["Out"]
        self.hidden = {name: ns[name] for name in ("In", "Out", "display", "get_ipython")}

    def reset_namespace(self):
        """%reset: a fresh namespace that keeps the input history and the execution count, as IPython's does."""
        history = self.ns["In"]
        self.ns.clear()
        self._init_namespace(history)


_sessions = {}
_current = None  # the Session whose code is running now
_package_imports = {}  # import name -> package name, from the lockfile
_package_index = ""


def configure(package_imports_json, package_index):
    """Called once at boot with the lockfile's import map (so unknown modules get a helpful message)."""
    global _package_imports, _package_index
    _package_imports = json.loads(package_imports_json)
    _package_index = package_index


def _session(session_id):
    s = _sessions.get(session_id)
    if s is None:
        s = _sessions[session_id] = Session(session_id)
    return s


def reset_session(session_id):
    """Restart for one session: a fresh namespace, history and execution count. Others are untouched."""
    drop_session(session_id)
    _session(session_id)


def drop_session(session_id):
    old = _sessions.pop(session_id, None)
    if old is not None and old.task is not None:
        old.task.cancel()


def _emit(msg_type, content):
    s = _current
    if s is None or s.emit is None:
        return
    if msg_type != "stream":
        _stdout.flush()
        _stderr.flush()
    s.emit(msg_type, json.dumps(content, default=_json_default))


def _json_default(obj):
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(obj)).decode("ascii")
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


# ---------------------------------------------------------------------------------------------------------
# Streams: line-buffered and rate-limited, so ordinary output shows at once while a million prints become a
# few dozen messages.

_FLUSH_INTERVAL = 0.1  # seconds: a window in which at most _FLUSH_BURST lines flush at once
_FLUSH_BURST = 5
_FLUSH_BYTES = 1 << 20
_monotonic = time.monotonic


class _Stream(io.TextIOBase):
    def __init__(self, name):
        self.name = name
        self._parts = []
        self._size = 0
        self._window = 0.0
        self._flushes = 0
        self._scheduled = False

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, text):
        # The hot path of every print(): keep it short.
        if text.__class__ is not str:
            if not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._parts.append(text)
        self._size += len(text)
        if text[-1:] in ("\n", "\r") and text:
            now = _monotonic()
            if now - self._window >= _FLUSH_INTERVAL:
                self._window = now
                self._flushes = 0
            if self._flushes < _FLUSH_BURST:
                self._flushes += 1
                self.flush()
                return len(text)
        if self._size >= _FLUSH_BYTES:
            self.flush()
        elif not self._scheduled:
            # Output held back (a partial line, or past the burst) still shows while a cell awaits.
            try:
                asyncio.get_event_loop().call_later(_FLUSH_INTERVAL, self._scheduled_flush)
                self._scheduled = True
            except RuntimeError:
                pass
        return len(text)

    def _scheduled_flush(self):
        self._scheduled = False
        self.flush()

    def flush(self):
        if not self._parts:
            return
        text = "".join(self._parts)
        self._parts = []
        self._size = 0
        s = _current
        if s is not None and s.emit is not None:
            s.emit("stream", json.dumps({"name": self.name, "text": text}))


_stdout = _Stream("stdout")
_stderr = _Stream("stderr")


# ---------------------------------------------------------------------------------------------------------
# Rich display


_REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("application/json", "_repr_json_"),
    ("text/latex", "_repr_latex_"),
    ("application/javascript", "_repr_javascript_"),
    ("application/pdf", "_repr_pdf_"),
)
_BINARY_MIMES = {"image/png", "image/jpeg", "application/pdf"}


def pretty(obj):
    """The text/plain IPython shows (bento_pretty): long containers wrap one item per line at 79 columns."""
    import bento_ipython

    return bento_ipython.pretty(obj)


def _real_method(obj, name):
    # Look the method up on the type, as IPython does: objects with a permissive __getattr__ must not
    # pretend to have every repr.
    try:
        method = getattr(type(obj), name, None)
    except Exception:
        return None
    if method is None or not callable(method):
        return None
    return method.__get__(obj, type(obj)) if hasattr(method, "__get__") else method


def _warn_repr_failure(obj, name):
    exc = sys.exc_info()[1]
    print(f"{type(obj).__name__}.{name}() raised {type(exc).__name__}: {exc}", file=sys.stderr)


def format_object(obj, include=None, exclude=None):
    """The MIME bundle and metadata of `obj`, following IPython's display protocol."""
    data, metadata = {}, {}
    bundle_method = _real_method(obj, "_repr_mimebundle_")
    if bundle_method is not None:
        try:
            result = bundle_method(include=include, exclude=exclude)
        except Exception:
            _warn_repr_failure(obj, "_repr_mimebundle_")
            result = None
        if isinstance(result, tuple) and len(result) == 2:
            result, md = result
            metadata.update(md or {})
        if isinstance(result, dict):
            data.update(result)
    for mime, name in _REPR_METHODS:
        if mime in data:
            continue
        method = _real_method(obj, name)
        if method is None:
            continue
        try:
            value = method()
        except NotImplementedError:
            continue
        except Exception:
            _warn_repr_failure(obj, name)
            continue
        if value is None:
            continue
        if isinstance(value, tuple) and len(value) == 2:
            value, md = value
            if md:
                metadata[mime] = md
        if mime in _BINARY_MIMES and isinstance(value, (bytes, bytearray, memoryview)):
            value = base64.b64encode(bytes(value)).decode("ascii")
        elif isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        data[mime] = value
    if "text/plain" not in data:
        data["text/plain"] = pretty(obj)
    if include:
        data = {k: v for k, v in data.items() if k in include}
    if exclude:
        data = {k: v for k, v in data.items() if k not in exclude}
    return data, metadata


class DisplayHandle:
    """Returned by display(..., display_id=...): update or redisplay the same output later."""

    def __init__(self, display_id=None):
        self.display_id = display_id or uuid.uuid4().hex

    def __repr__(self):
        return f"<DisplayHandle display_id={self.display_id}>"

    def display(self, obj, **kwargs):
        display(obj, display_id=self.display_id, **kwargs)

    def update(self, obj, **kwargs):
        display(obj, display_id=self.display_id, update=True, **kwargs)


def display(*objs, include=None, exclude=None, metadata=None, transient=None, display_id=None, raw=False,
            clear=False, update=False, **kwargs):
    """Publish objects as display_data (or update_display_data), like IPython's display()."""
    if clear:
        clear_output(wait=True)
    if display_id is True:
        display_id = uuid.uuid4().hex
    transient = dict(transient or {})
    if display_id:
        transient["display_id"] = display_id
    for obj in objs:
        if raw:
            data, md = dict(obj), {}
        else:
            data, md = format_object(obj, include=include, exclude=exclude)
        if metadata:
            md = {**md, **metadata}
        content = {"data": data, "metadata": md}
        if transient:
            content["transient"] = transient
        _emit("update_display_data" if update else "display_data", content)
    if display_id:
        return DisplayHandle(display_id)
    return None


def _display_mimetype(mimetype, objs, raw=False, metadata=None):
    if metadata:
        metadata = {mimetype: metadata}
    if raw:
        objs = [{mimetype: obj} for obj in objs]
    display(*objs, raw=raw, metadata=metadata, include=[mimetype])


def _display_function(name, mimetype):
    def display_mime(*objs, raw=False, metadata=None):
        _display_mimetype(mimetype, objs, raw=raw, metadata=metadata)

    display_mime.__name__ = display_mime.__qualname__ = name
    display_mime.__doc__ = f"Display the {mimetype} representation of objects (or raw {mimetype} data, raw=True)."
    return display_mime


_DISPLAY_FUNCTIONS = {
    "display_pretty": "text/plain", "display_html": "text/html", "display_markdown": "text/markdown",
    "display_svg": "image/svg+xml", "display_png": "image/png", "display_jpeg": "image/jpeg",
    "display_latex": "text/latex", "display_json": "application/json", "display_javascript": "application/javascript",
    "display_pdf": "application/pdf",
}


def update_display(obj, *, display_id, **kwargs):
    display(obj, display_id=display_id, update=True, **kwargs)


def clear_output(wait=False):
    _emit("clear_output", {"wait": bool(wait)})


# ---------------------------------------------------------------------------------------------------------
# A compatible `IPython.display`, used when the real IPython is not installed in the runtime. The real one
# is ~10 MB and seconds to import in WebAssembly, so it is never downloaded behind the user's back.


class DisplayObject:
    _mime = "text/plain"

    def __init__(self, data=None, url=None, filename=None, metadata=None):
        if filename is not None and data is None:
            with open(filename, "rb" if self._mime in _BINARY_MIMES else "r") as f:
                data = f.read()
        self.data = data
        self.url = url
        self.filename = filename
        self.metadata = metadata or {}

    def __repr__(self):
        return f"<IPython.core.display.{type(self).__name__} object>"

    def _data_and_metadata(self):
        return (self.data, self.metadata) if self.metadata else self.data


class HTML(DisplayObject):
    def _repr_html_(self):
        return self._data_and_metadata()


class Markdown(DisplayObject):
    def _repr_markdown_(self):
        return self._data_and_metadata()


class Latex(DisplayObject):
    def _repr_latex_(self):
        return self._data_and_metadata()


class Math(DisplayObject):
    def _repr_latex_(self):
        text = str(self.data).strip().strip("$")
        return f"$\\displaystyle {text}$"


class SVG(DisplayObject):
    _svg = None

    @property
    def data(self):
        return self._svg

    @data.setter
    def data(self, svg):
        # As IPython: keep the <svg> element alone, re-serialised, without any XML prologue around it.
        if svg is not None:
            from xml.dom import minidom

            found = minidom.parseString(svg).getElementsByTagName("svg")
            if found:
                svg = found[0].toxml()
            svg = svg.decode("utf-8") if isinstance(svg, bytes) else svg
        self._svg = svg

    def _repr_svg_(self):
        return self._data_and_metadata()


class Javascript(DisplayObject):
    def _repr_javascript_(self):
        return self.data


class Pretty(DisplayObject):
    def _repr_pretty_(self, printer, cycle):
        printer.text(self.data)

    def __repr__(self):
        return str(self.data)


class JSON(DisplayObject):
    def __init__(self, data=None, url=None, filename=None, expanded=False, metadata=None, root="root"):
        if isinstance(data, str) and filename is None:
            data = json.loads(data)
        super().__init__(data=data, url=url, filename=filename, metadata=metadata)
        if isinstance(self.data, str):
            self.data = json.loads(self.data)
        self.metadata = {"expanded": expanded, "root": root, **self.metadata}

    def _repr_json_(self):
        return self.data, self.metadata


class Image(DisplayObject):
    def __init__(self, data=None, url=None, filename=None, format=None, embed=None, width=None, height=None,
                 metadata=None, alt=None):
        if isinstance(data, str) and data.startswith(("http://", "https://", "data:", "/")) and url is None:
            url, data = data, None
        fmt = (format or (filename or url or "").rsplit(".", 1)[-1]).lower()
        fmt = {"jpg": "jpeg"}.get(fmt, fmt)
        if data is not None and fmt not in ("png", "jpeg"):
            fmt = "jpeg" if bytes(data[:3]) == b"\xff\xd8\xff" else "png"
        self._mime = f"image/{fmt}"
        self.format = fmt
        self.embed = embed if embed is not None else (url is None)
        super().__init__(data=data, url=url, filename=filename, metadata=metadata)
        self.width, self.height, self.alt = width, height, alt

    def _md(self):
        md = {k: v for k, v in (("width", self.width), ("height", self.height), ("alt", self.alt)) if v}
        return {**md, **self.metadata}

    def _repr_png_(self):
        if self.embed and self.format == "png" and self.data is not None:
            return (self.data, self._md()) if self._md() else self.data
        return None

    def _repr_jpeg_(self):
        if self.embed and self.format == "jpeg" and self.data is not None:
            return (self.data, self._md()) if self._md() else self.data
        return None

    def _repr_html_(self):
        if self.embed or not self.url:
            return None
        attrs = "".join(f' {k}="{v}"' for k, v in (("width", self.width), ("height", self.height)) if v)
        return f'<img src="{self.url}"{attrs}/>'


def _get_ipython():
    """`IPython.get_ipython()`: the session's shell when a cell calls it (so `from IPython import get_ipython`
    leaves `%magic` lines and `get_ipython().run_line_magic(...)` working), None for any other caller. A library
    that finds a shell expects the whole of IPython's (events, formatters, configuration), which this is not."""
    caller = sys._getframe(1).f_code.co_filename
    if _current is not None and (_CELL_FILE.match(caller) or caller in ("<timed exec>", "<timed eval>")):
        return _current.shell
    return None


def _make_ipython_compat():
    pkg = types.ModuleType("IPython")
    pkg.__path__ = []
    pkg.__version__ = "0+bento.compat"
    pkg.get_ipython = _get_ipython
    pkg.display = display
    disp = types.ModuleType("IPython.display")
    for name in ("display", "update_display", "clear_output", "DisplayHandle", "DisplayObject", "HTML",
                 "Markdown", "Latex", "Math", "SVG", "Javascript", "Pretty", "JSON", "Image"):
        setattr(disp, name, globals()[name])
    disp.TextDisplayObject = DisplayObject
    for name, mimetype in _DISPLAY_FUNCTIONS.items():
        setattr(disp, name, _display_function(name, mimetype))
    core = types.ModuleType("IPython.core")
    core.__path__ = []
    core.display = disp
    pkg.core = core
    magic = types.ModuleType("IPython.core.magic")
    for name in ("register_line_magic", "register_cell_magic", "register_line_cell_magic"):
        setattr(magic, name, getattr(bento_ipython, name))
    core.magic = magic
    return {"IPython": pkg, "IPython.display": disp, "IPython.core": core, "IPython.core.display": disp,
            "IPython.core.display_functions": disp, "IPython.core.magic": magic}


class _IPythonCompatFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on sys.meta_path: supplies `IPython` only when no real IPython is installed."""

    _modules = None

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "IPython" and not fullname.startswith("IPython."):
            return None
        if _IPythonCompatFinder._modules is None:
            _IPythonCompatFinder._modules = _make_ipython_compat()
        if fullname not in _IPythonCompatFinder._modules:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname in ("IPython", "IPython.core"))

    def create_module(self, spec):
        return _IPythonCompatFinder._modules[spec.name]

    def exec_module(self, module):
        pass


# ---------------------------------------------------------------------------------------------------------
# Tracebacks in IPython's shape


_RED, _GREEN, _CYAN, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[39m"
_CELL_FILE = re.compile(r"^<In\[(\d+)\]>$")


def _cell_filename(count):
    return f"<In[{count}]>"


def _location(filename, lineno, name):
    m = _CELL_FILE.match(filename or "")
    if m:
        where = f"{_CYAN}Cell In[{m.group(1)}], line {lineno}{_RESET}"
        return where if name == "<module>" else f"{where}, in {name}()"
    return f"{_CYAN}File {filename}:{lineno}{_RESET}, in {name}()"


def _frame_text(frame):
    lines = [_location(frame.filename, frame.lineno, frame.name)]
    first = max(1, frame.lineno - 2)
    for n in range(first, frame.lineno + 1):
        line = linecache.getline(frame.filename, n).rstrip("\n")
        if n == frame.lineno:
            lines.append(f"{_GREEN}----> {n}{_RESET} {line}")
        elif line.strip():
            lines.append(f"      {n} {line}")
    return "\n".join(lines) + "\n"


_EDGE_FRAMES = 100


def _user_frames(tb):
    """Frames from the first cell frame on; the kernel's own frames never show. A traceback millions of
    frames deep keeps its first and last hundred, with None where the rest were left out."""
    head, tail, skipped, started = [], collections.deque(maxlen=_EDGE_FRAMES), 0, False
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if filename in _KERNEL_FILES:
            continue
        if not started:
            if filename.startswith("/lib/python3"):
                continue
            started = True
        if len(head) < _EDGE_FRAMES:
            head.append((frame, lineno))
        else:
            skipped += len(tail) == tail.maxlen
            tail.append((frame, lineno))
    frames = list(traceback.StackSummary.extract(iter(head + list(tail)), lookup_lines=False))
    if skipped:
        frames.insert(len(head), skipped)
    return frames


_REPEAT_SHOWN = 3


def _frame_texts(frames):
    """Formatted frames; a run of identical frames (deep recursion) shows three times, then a count."""
    out = []
    i = 0
    while i < len(frames):
        frame = frames[i]
        if isinstance(frame, int):
            out.append(f"    [... {frame} more frames ...]\n")
            i += 1
            continue
        key = (frame.filename, frame.lineno, frame.name)
        j = i
        while j + 1 < len(frames) and not isinstance(frames[j + 1], int) and (frames[j + 1].filename, frames[j + 1].lineno, frames[j + 1].name) == key:
            j += 1
        repeats = j - i + 1
        text = _frame_text(frame)
        out.extend([text] * min(repeats, _REPEAT_SHOWN))
        if repeats > _REPEAT_SHOWN:
            out.append(f"    [... skipping similar frames: {frame.name} at line {frame.lineno} "
                       f"({repeats - _REPEAT_SHOWN} times)]\n")
        i = j + 1
    return out


def format_exception(exc):
    """(ename, evalue, traceback lines) in the shape IPython sends."""
    if isinstance(exc, SyntaxError) and _is_cell_syntax(exc):
        return _format_syntax_error(exc)
    lines = []
    seen = set()

    def chain(e):
        if e is None or id(e) in seen:
            return
        seen.add(id(e))
        if e.__cause__ is not None:
            chain(e.__cause__)
            lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
        elif e.__context__ is not None and not e.__suppress_context__:
            chain(e.__context__)
            lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        name = type(e).__name__
        lines.append(f"{_RED}{'-' * 75}{_RESET}")
        lines.append(f"{_RED}{name}{_RESET}{' ' * max(1, 42 - len(name))}Traceback (most recent call last)")
        lines.extend(_frame_texts(_user_frames(e.__traceback__)))
        lines.append(_exception_line(e))

    chain(exc)
    return type(exc).__name__, _evalue(exc), lines


def _is_cell_syntax(exc):
    return bool(_CELL_FILE.match(getattr(exc, "filename", "") or ""))


def _format_syntax_error(exc):
    text = "".join(traceback.format_exception_only(type(exc), exc))
    text = re.sub(r'File "<In\[(\d+)\]>", line (\d+)', lambda m: f"{_CYAN}Cell In[{m.group(1)}], line {m.group(2)}{_RESET}", text)
    body, _, last = text.rstrip("\n").rpartition("\n")
    return type(exc).__name__, _evalue(exc), [body + "\n", _color_ename(last)]


def _color_ename(line):
    name, sep, rest = line.partition(":")
    return f"{_RED}{name}{_RESET}{sep}{rest}" if sep else f"{_RED}{line}{_RESET}"


def _evalue(exc):
    try:
        return str(exc)
    except Exception:
        return "<unprintable exception>"


def _exception_line(exc):
    line = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    return _color_ename(line)


# ---------------------------------------------------------------------------------------------------------
# Execution


class KernelInterrupt(KeyboardInterrupt):
    pass


class PackageLoadError(ImportError):
    pass


class UsageError(Exception):
    """A magic used wrongly, or one the browser kernel cannot run: one line on stderr, as IPython shows it."""


def _suppressed(code):
    """True when the last statement ends with `;` (IPython hides its result)."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.INDENT,
            tokenize.DEDENT}
    last = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type not in skip:
                last = tok
    except (tokenize.TokenError, SyntaxError):
        return False
    return last is not None and last.string == ";"


_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


async def _run(code_obj, ns):
    try:
        result = eval(code_obj, ns)
    except StopIteration as exc:
        raise _Escaped(exc) from None  # leaving a coroutine would turn it into RuntimeError (PEP 479)
    if code_obj.co_flags & inspect.CO_COROUTINE:
        result = await result
    return result


def _publish_result(session, value):
    ns = session.ns
    count = session.execution_count
    ns["___"], ns["__"], ns["_"] = ns.get("__"), ns.get("_"), value
    ns["Out"][count] = value
    ns[f"_{count}"] = value
    data, md = format_object(value)
    _emit("execute_result", {"execution_count": count, "data": data, "metadata": md})


def _store_input(session, source, raw):
    """As IPython's history: In holds the code as it ran; _i, _ii, _iii the three inputs before this one."""
    ns = session.ns
    count = session.execution_count
    source, raw = source.rstrip("\n"), raw.rstrip("\n")
    ns["In"].append(source)
    h = session.input_history
    h[:] = [raw, h[0], h[1], h[2]]  # _i00 (this cell), _i, _ii, _iii
    ns["_i"], ns["_ii"], ns["_iii"] = h[1], h[2], h[3]
    ns[f"_i{count}"] = raw


async def run_cell(session_id, exec_id, code, emit, read_input, load_packages, silent=False, store_history=True):
    """Runs one cell in a session; returns the execute_reply content as JSON."""
    global _current
    session = _session(session_id)
    session.emit = emit
    session.read_input = read_input
    session.load_packages = load_packages
    session.exec_id = exec_id
    session.payload = []
    prev_main = sys.modules.get("__main__")
    _current = session
    sys.modules["__main__"] = session.main
    if not code.strip():
        # As IPython: an empty cell runs nothing, is not numbered and leaves the history alone.
        if not silent:
            _emit("execute_input", {"code": code, "execution_count": session.execution_count + 1})
        sys.modules["__main__"] = prev_main
        return json.dumps({"status": "ok", "execution_count": session.execution_count, "user_expressions": {},
                           "payload": []})
    if not silent:
        session.execution_count += 1
    count = session.execution_count
    try:
        import bento_ipython

        if not silent:
            _emit("execute_input", {"code": code, "execution_count": count})
        try:
            source = bento_ipython.transform_cell(code, session.ns, session.user_magics["line"])
        except Exception:  # noqa: BLE001 -- the compiler below reports what is wrong with the code
            source = code
        if not silent and store_history:
            _store_input(session, source, code)
        code = source
        filename = _cell_filename(count)
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        try:
            tree = compile(code, filename, "exec", ast.PyCF_ONLY_AST | _FLAGS)
            last_expr = None
            if tree.body and isinstance(tree.body[-1], ast.Expr) and not silent and not _suppressed(code):
                last_expr = ast.Expression(tree.body.pop().value)
            body = compile(tree, filename, "exec", _FLAGS)
            expr = compile(last_expr, filename, "eval", _FLAGS) if last_expr is not None else None
        except (SyntaxError, ValueError, OverflowError) as exc:
            return _error_reply(count, exc)
        missing = imports_to_load(code)
        if missing != "[]":
            try:
                await load_packages(missing)
            except Exception as exc:  # a JsException carrying the loader's message
                message = str(exc).removeprefix("Error: ")
                return _error_reply(count, PackageLoadError(message), emit_traceback_frames=False)
        session.task = asyncio.ensure_future(_execute(session, body, expr))
        try:
            await session.task
        except asyncio.CancelledError:
            return _error_reply(count, KernelInterrupt("interrupted while waiting"), emit_traceback_frames=False)
        except _Escaped as escaped:
            return _error_reply(count, escaped.original)
        except BaseException as exc:  # noqa: BLE001 -- a cell may raise anything, SystemExit included
            return _error_reply(count, exc)
        finally:
            session.task = None
            bento_ipython.after_cell(session)
        return json.dumps({"status": "ok", "execution_count": count, "user_expressions": {},
                           "payload": session.payload})
    finally:
        _stdout.flush()
        _stderr.flush()
        sys.modules["__main__"] = prev_main
        _current = session  # background output (tasks the cell started) still reaches its session


class _Escaped(Exception):
    """Carries a KeyboardInterrupt or SystemExit out of a cell's task. asyncio re-raises those two into the
    event loop, where Pyodide prints a stray traceback into the cell and rejects a promise nobody handles."""

    def __init__(self, original):
        super().__init__()
        self.original = original


async def _execute(session, body, expr):
    try:
        await _run(body, session.ns)
        if expr is not None:
            value = await _run(expr, session.ns)
            if value is not None:
                _publish_result(session, value)
    except (KeyboardInterrupt, SystemExit) as exc:
        raise _Escaped(exc) from None


def run_nested(session, code):
    """Runs `code` in the session's namespace from inside a cell (%%capture): its last expression is displayed."""
    import bento_ipython

    code = bento_ipython.transform_cell(code)
    filename = f"<In[{session.execution_count}]-nested>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    tree = compile(code, filename, "exec", ast.PyCF_ONLY_AST)
    last = ast.Expression(tree.body.pop().value) if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, filename, "exec"), session.ns)
    if last is not None:
        value = eval(compile(last, filename, "eval"), session.ns)
        if value is not None:
            display(value)


def _error_reply(count, exc, emit_traceback_frames=True):
    if isinstance(exc, KernelInterrupt):
        exc = KeyboardInterrupt(*exc.args)
    payload = _current.payload if _current is not None else []
    if isinstance(exc, UsageError):
        # IPython prints a UsageError as one line on stderr, with no traceback and no error output.
        print(f"UsageError: {exc}", file=sys.stderr)
        _stderr.flush()
        return json.dumps({"status": "error", "execution_count": count, "ename": "UsageError", "evalue": str(exc),
                           "traceback": [], "payload": payload})
    ename, evalue, tb = format_exception(exc)
    if not emit_traceback_frames:
        tb = [_color_ename(f"{ename}: {evalue}" if evalue else ename)]
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        if top not in _package_imports:
            tb.append(f"'{top}' is not a module of the standard library nor a package of the package index "
                      f"({_package_index}).")
    content = {"ename": ename, "evalue": evalue, "traceback": tb}
    _emit("error", content)
    return json.dumps({"status": "error", "execution_count": count, **content, "payload": payload})


def interrupt_if_waiting(exec_id):
    """Soft interrupt: cancels the cell `exec_id` when it is suspended in an `await` (or in input())."""
    for session in _sessions.values():
        if session.exec_id == exec_id and session.task is not None and not session.task.done():
            session.task.cancel()
            return True
    return False


class StdinNotImplementedError(RuntimeError):
    pass


try:
    from pyodide.ffi import jsnull as _jsnull  # JavaScript null is not None in Pyodide
except ImportError:
    _jsnull = None


def _input(prompt="", password=False):
    session = _current
    _stdout.flush()
    _stderr.flush()
    if session is None or session.read_input is None:
        raise StdinNotImplementedError("input() was called, but this frontend does not answer input requests.")
    result = session.read_input(str(prompt), bool(password))
    if hasattr(result, "then"):
        from pyodide.ffi import run_sync

        result = run_sync(result)
    if result is None or result is _jsnull:  # the page cancelled: interrupt, in ipykernel's words
        raise KeyboardInterrupt("Interrupted by user")
    return str(result)


def _builtin_input(prompt=""):
    return _input(prompt, False)


def _getpass(prompt="Password: ", stream=None):
    return _input(prompt, True)


# ---------------------------------------------------------------------------------------------------------
# Packages


def imports_to_load(code):
    """Top-level modules the code imports that are not importable yet but the package index has."""
    try:
        from pyodide.code import find_imports

        names = find_imports(code)
    except Exception:
        return "[]"
    missing = []
    for name in names:
        if name == "IPython" or name not in _package_imports or name in sys.modules:
            continue
        try:
            if importlib.util.find_spec(name) is not None:
                continue
        except (ImportError, ValueError):
            pass
        missing.append(name)
    return json.dumps(missing)


# ---------------------------------------------------------------------------------------------------------
# Completion, inspection, is_complete


_TOKEN = re.compile(r"[\w.]*$")


_MAGIC_PREFIX = re.compile(r"(?:^|\n)[ \t]*(%%?)([A-Za-z_]\w*)?$")


def complete(session_id, code, cursor_pos):
    import bento_ipython

    session = _session(session_id)
    before = code[:cursor_pos]
    magic = _MAGIC_PREFIX.search(before)
    if magic:
        # `%ti` completes to the magics, as IPython's completer does (`%%` only on a cell's first line).
        escape, prefix = magic.group(1), magic.group(2) or ""
        names = bento_ipython.magic_names(session, cell=escape == "%%")
        matches = [escape + n for n in names if n.startswith(prefix)]
        return json.dumps({"status": "ok", "matches": matches, "cursor_start": cursor_pos - len(prefix) - len(escape),
                           "cursor_end": cursor_pos, "metadata": {}})
    try:
        import jedi  # noqa: F401 -- only when the user installed it

        return _complete_jedi(session, code, cursor_pos)
    except ImportError:
        pass
    token = _TOKEN.search(before).group(0)
    import rlcompleter

    completer = rlcompleter.Completer(session.ns)
    matches, state = [], 0
    while state < 500:
        try:
            m = completer.complete(token, state)
        except Exception:
            break
        if m is None:
            break
        m = m.rstrip("(")
        if m not in matches:
            matches.append(m)
        state += 1
    if "." not in token and not token.startswith("_"):
        matches = [m for m in matches if not m.startswith("_")] + [m for m in matches if m.startswith("_")]
    start = cursor_pos - len(token) if "." not in token else cursor_pos - len(token.rsplit(".", 1)[1])
    matches = [m.rsplit(".", 1)[1] if "." in token else m for m in matches]
    return json.dumps({"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": cursor_pos,
                       "metadata": {}})


def _complete_jedi(session, code, cursor_pos):
    import jedi

    before = code[:cursor_pos]
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1)
    completions = jedi.Interpreter(code, [session.ns]).complete(line, column)
    matches = [c.name for c in completions]
    start = cursor_pos - (len(completions[0].name) - len(completions[0].complete)) if completions else cursor_pos
    return json.dumps({"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": cursor_pos,
                       "metadata": {}})


_NAME_AT = re.compile(r"[A-Za-z_][\w.]*")


def _name_at(code, pos):
    for m in _NAME_AT.finditer(code):
        if m.start() <= pos <= m.end():
            return m.group(0).rstrip(".")
    # The name before an open paren: `f(` with the cursor after it.
    before = code[:pos].rstrip()
    m = re.search(r"([A-Za-z_][\w.]*)\s*\($", before)
    return m.group(1) if m else None


def _resolve(session, dotted):
    parts = dotted.split(".")
    if parts[0] in session.ns:
        obj = session.ns[parts[0]]
    elif hasattr(builtins, parts[0]):
        obj = getattr(builtins, parts[0])
    else:
        raise LookupError(dotted)
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


def inspect_code(session_id, code, cursor_pos, detail_level=0):
    import bento_ipython

    session = _session(session_id)
    name = _name_at(code, cursor_pos)
    not_found = json.dumps({"status": "ok", "found": False, "data": {}, "metadata": {}})
    if not name:
        return not_found
    try:
        obj = _resolve(session, name)
    except Exception:
        return not_found
    plain = bento_ipython.object_info_text(obj, name, detail_level)
    return json.dumps({"status": "ok", "found": True, "data": {"text/plain": plain}, "metadata": {}})


def is_complete(code):
    import bento_ipython

    try:
        source = bento_ipython.transform_cell(code)  # `%time x` and `x?` are complete, as IPython says
        result = codeop.compile_command(source if code.endswith("\n") else source[:-1], "<input>", "exec")
    except (SyntaxError, OverflowError, ValueError):
        return json.dumps({"status": "invalid"})
    last = code.rstrip("\n").rsplit("\n", 1)[-1]
    indent = last[: len(last) - len(last.lstrip())]
    if result is None:
        if last.rstrip().endswith(":"):
            indent += "    "
        return json.dumps({"status": "incomplete", "indent": indent})
    if indent and not code.endswith("\n"):
        # Inside an indented block: Jupyter consoles want one more line until a blank one.
        return json.dumps({"status": "incomplete", "indent": indent})
    return json.dumps({"status": "complete"})


# ---------------------------------------------------------------------------------------------------------
# Tables (kernel.inject / kernel.extract): the conversion lives in bento_table.py, shared with remote kernels


def inject_table(session_id, name, header_json, js_buffers):
    """Binds `name` in the session to the table of `header_json` (the wire header) and `js_buffers` (JS
    Uint8Arrays, each copied once into a Python bytearray). Returns None, or a message saying why nothing
    was bound."""
    import bento_table

    try:
        buffers = []
        for js in js_buffers:
            buffer = bytearray(js.byteLength)
            js.assign_to(buffer)
            buffers.append(buffer)
        bento_table.bind(_session(session_id).ns, name, json.loads(header_json), buffers)
    except bento_table.TableError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 -- a failure of any kind must leave the variable alone
        return f"{type(exc).__name__}: {exc}"
    return None


def extract_table(session_id, name, as_value=False):
    """(header JSON, [buffers]) for the table bound to `name` in the session (any JSON-able value as one JSON
    cell when `as_value`), or (message, None)."""
    import bento_table

    try:
        header, buffers = bento_table.lookup(_session(session_id).ns, name, as_value)
        return json.dumps(header), [memoryview(b).cast("B") for b in buffers]
    except bento_table.TableError as exc:
        return str(exc), None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}", None


# ---------------------------------------------------------------------------------------------------------
# Boot


def _install():
    sys.stdout = _stdout
    sys.stderr = _stderr
    builtins.input = _builtin_input
    import getpass

    getpass.getpass = _getpass
    if not any(isinstance(f, _IPythonCompatFinder) for f in sys.meta_path):
        sys.meta_path.append(_IPythonCompatFinder())


def install_interruptible_sleep(wait):
    """Replaces time.sleep with one an interrupt ends at once. `wait(ms)` blocks the worker on the interrupt word
    until the page writes SIGINT there (Atomics.wait); Python's next interrupt check then raises KeyboardInterrupt.
    Pyodide's own sleep is deaf to SIGINT, so an interrupt during one had to replace the runtime. Like CPython's,
    this one blocks: nothing else runs in the worker meanwhile."""
    import math
    import time

    def sleep(secs):
        if isinstance(secs, bool) or not isinstance(secs, (int, float)):
            raise TypeError(f"'{type(secs).__name__}' object cannot be interpreted as an integer or float")
        if math.isnan(secs):
            raise ValueError("Invalid value NaN (not a number)")
        if secs < 0:
            raise ValueError("sleep length must be non-negative")
        # Blocked, the worker runs no timer: output held back (a partial line) shows now, as ipykernel's does.
        _stdout.flush()
        _stderr.flush()
        deadline = time.monotonic() + secs
        while (left := deadline - time.monotonic()) > 0:
            wait(left * 1000)

    sleep.__doc__ = time.sleep.__doc__
    time.sleep = sleep


# What this module imports is in every snapshot, so a restored runtime never compiles it again. A first import
# compiles the module's source, on WebAssembly: csv, the one module a notebook that reads data imports first that
# the kernel did not already (json, re, datetime, statistics, decimal do), cost the demo's first cell 20-45 ms on
# every repeat visit. It is imported above for that alone.


def _stdlib_archive():
    """Where Pyodide mounted the standard library's zip."""
    return next(p for p in sys.path if p.endswith(".zip"))


def _plain_stdlib_bytes():
    """The size of Pyodide's own python_stdlib.zip, which a restore mounts. A start that is not restored runs from
    the boot zip (scripts/stdlib-bytecode.mjs), whose comment, at its very end, gives it; the plain zip is its own."""
    with open(_stdlib_archive(), "rb") as f:
        size = f.seek(0, 2)
        f.seek(max(0, size - 256))
        mark = re.search(rb"python_stdlib\.zip is (\d+) bytes", f.read())
    return int(mark.group(1)) if mark else size


# Python keeps its directory of the zip (names and offsets) in the snapshot: a restore with another zip would read
# modules at the wrong offsets. Recorded when this module is first imported, so the snapshot holds it.
_PLAIN_STDLIB_BYTES = _plain_stdlib_bytes()


def after_restore():
    """Called once in an interpreter restored from a memory snapshot. Every runtime restored from one snapshot
    starts from the same bytes, so whatever was seeded before the snapshot would repeat in each of them."""
    with open(_stdlib_archive(), "rb") as f:
        served = f.seek(0, 2)
    if served != _PLAIN_STDLIB_BYTES:
        raise RuntimeError(
            f"the standard library served ({served} bytes) is not the one the snapshot was made with ({_PLAIN_STDLIB_BYTES})"
        )
    random = sys.modules.get("random")
    if random is not None:
        random.seed()  # from os.urandom, which asks crypto.getRandomValues anew
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile._name_sequence = None  # its own Random instance, made on first use
    if hasattr(time, "tzset"):
        time.tzset()  # time.timezone/tzname were read where the snapshot was made


import bento_ipython  # noqa: E402 -- it builds on this module, so it comes once this module is complete

_install()
