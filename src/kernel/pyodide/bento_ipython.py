"""What IPython adds to Python, as the browser kernel gives it: IPython's display of values (bento_pretty),
its input syntax (`%magic`, `%%magic`, `!cmd`, `obj?`), the magics people paste from real notebooks, and the
pager.

The input syntax is rewritten the way IPython rewrites it (`%time x` becomes
`get_ipython().run_line_magic('time', 'x')`), so `In`, `_i` and tracebacks read as they do on ipykernel.
What a user sees (output formats, messages) matches IPython 8, which test/kernel/differential.test.ts checks
against a real ipykernel; the code here is our own.
"""

import ast
import builtins
import gc
import inspect
import io
import keyword
import json
import linecache
import math
import os
import re
import shlex
import statistics
import sys
import textwrap
import time
import timeit as _timeit
import types

import bento_kernel
import bento_pretty

# ---------------------------------------------------------------------------------------------------------
# The pretty printer lives in bento_pretty; %precision sets the format of floats.


def pretty(obj):
    """The text/plain IPython shows for `obj`."""
    return bento_pretty.pretty(obj, float_format=getattr(bento_kernel._current, "float_format", "%r"))


# ---------------------------------------------------------------------------------------------------------
# Input syntax: IPython's transforms, line by line at the start of each logical line.

_MAGIC_NAME = r"[A-Za-z_][\w.]*"
_LINE_MAGIC = re.compile(rf"^(\s*)%({_MAGIC_NAME})(.*)$")
_SHELL = re.compile(r"^(\s*)!(.*)$")
_ASSIGN_MAGIC = re.compile(rf"^(\s*[\w.\[\]'\", ]+?\s*=\s*)%({_MAGIC_NAME})(.*)$")
_ASSIGN_SHELL = re.compile(r"^(\s*[\w.\[\]'\", ]+?\s*=\s*)!(.*)$")
_HELP_END = re.compile(r"^(\s*)(%{0,2}(?!\d)[\w*]+(?:\.(?!\d)[\w*]+)*)(\?\??)\s*$")
_HELP_START = re.compile(r"^(\s*)(\?\??)(%{0,2}(?!\d)[\w*]+(?:\.(?!\d)[\w*]+)*)\s*$")
_CELL_MAGIC = re.compile(rf"^%%({_MAGIC_NAME})[ \t]*(.*)$")
_MAYBE_SYNTAX = re.compile(r"^\s*[%!?]|\?[ \t]*$|=\s*[%!]", re.MULTILINE)


def _logical_starts(lines):
    """For each line, whether it begins a logical line (not inside brackets, a string or a continuation)."""
    starts = []
    depth = 0
    quote = None  # the open string's delimiter: ', ", ''' or """
    continued = False
    for line in lines:
        starts.append(depth == 0 and quote is None and not continued)
        continued = False
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if quote:
                if c == "\\":
                    i += 2
                    continue
                if line.startswith(quote, i):
                    i += len(quote)
                    quote = None
                    continue
                i += 1
                continue
            if c == "#":
                break
            if c in "\"'":
                quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else c
                i += len(quote)
                continue
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth = max(0, depth - 1)
            elif c == "\\" and not line[i + 1:].strip("\r\n"):
                continued = True
            i += 1
        if quote in ("'", '"'):
            quote = None  # an unclosed one-line string is a syntax error Python will report
    return starts


def _help_call(target, esc):
    method = "pinfo2" if esc == "??" else "psearch" if "*" in target else "pinfo"
    return f"get_ipython().run_line_magic({method!r}, {target.lstrip('%')!r})"


def _magic_call(name, args):
    return f"get_ipython().run_line_magic({name!r}, {args.strip()!r})"


# In order: `%magic`, `!cmd`, then their assigned forms (`x = %who_ls`, `x = !ls`); the first match wins.
_REWRITES = (
    (_LINE_MAGIC, _magic_call),
    (_SHELL, lambda cmd: f"get_ipython().system({cmd.strip()!r})"),
    (_ASSIGN_MAGIC, _magic_call),
    (_ASSIGN_SHELL, lambda cmd: f"get_ipython().getoutput({cmd.strip()!r})"),
)


def _transform_line(line):
    ending = line[len(line.rstrip("\r\n")):]
    body = line[: len(line) - len(ending)]
    m = _HELP_END.match(body)
    if m:
        return m.group(1) + _help_call(m.group(2), m.group(3)) + ending
    m = _HELP_START.match(body)
    if m:
        return m.group(1) + _help_call(m.group(3), m.group(2)) + ending
    for pattern, call in _REWRITES:
        m = pattern.match(body)
        if m:
            return f"{m.group(1)}{call(*m.groups()[1:])}{ending}"
    return line


def _leading_indent(lines):
    """IPython runs a cell whose every line shares the first line's indent as if it were not indented."""
    m = re.match(r"^[ \t]+", lines[0]) if lines else None
    if not m:
        return lines
    prefix = m.group(0)
    if not all(line.startswith(prefix) or not line.strip() for line in lines):
        return lines
    return [line[len(prefix):] if line.startswith(prefix) else line for line in lines]


_AUTOMAGIC = re.compile(r"^([ \t]*)([\w.]+)(.*?)\s*$")


def _automagic(line, ns, user_magics):
    """IPython's automagic: a one-line cell `who` or `timeit f()` runs the magic of that name, unless the name
    is a variable, a builtin or a keyword of the session, or the line assigns to it."""
    m = _AUTOMAGIC.match(line)
    if not m:
        return None
    name, rest = m.group(2), m.group(3).strip()
    if name not in _LINE_MAGICS and name not in _SHELL_ONLY and name not in user_magics:
        return None
    head = name.split(".", 1)[0]
    if head in ns or hasattr(builtins, head) or keyword.iskeyword(head) or rest[:1] in ("=", ","):
        return None
    return f"{m.group(1)}get_ipython().run_line_magic({name!r}, {rest!r})\n"


def transform_cell(code, ns=None, user_magics=()):
    """The Python that IPython would run for `code` (magics, shell escapes and help as calls). With the
    session's namespace `ns`, a one-line cell may also be a magic without its `%` (automagic)."""
    if not code.endswith("\n"):
        code += "\n"
    lines = code.splitlines(True)
    while lines and not lines[0].strip():
        lines.pop(0)
    lines = _leading_indent(lines)
    code = "".join(lines)
    if lines:
        m = _CELL_MAGIC.match(lines[0].rstrip("\r\n"))
        if m:
            body = "".join(lines[1:])
            return f"get_ipython().run_cell_magic({m.group(1)!r}, {m.group(2).strip()!r}, {body!r})\n"
        if ns is not None and len(lines) == 1:
            auto = _automagic(lines[0].rstrip("\r\n"), ns, user_magics)
            if auto is not None:
                return auto
    if not _MAYBE_SYNTAX.search(code):
        return code  # most cells: no line that could be IPython syntax, so no need to scan for logical lines
    starts = _logical_starts(lines)
    return "".join(_transform_line(line) if start else line for line, start in zip(lines, starts))


# ---------------------------------------------------------------------------------------------------------
# The shell: get_ipython() in a session's namespace


UsageError = bento_kernel.UsageError


_NOT_IN_BROWSER = ("the browser kernel has no shell or server file system to run it in; "
                   "run this cell on a Jupyter kernel instead")


class BentoShell:
    """A small `get_ipython()`: enough for the code IPython's input syntax becomes, and for pasted scripts."""

    def __init__(self, session):
        self._session = session

    @property
    def user_ns(self):
        return self._session.ns

    @property
    def execution_count(self):
        return self._session.execution_count

    def register_magic_function(self, func, magic_kind="line", magic_name=None):
        """A magic of the user's own (IPython.core.magic.register_line_magic and co. call this)."""
        if magic_kind not in ("line", "cell", "line_cell"):
            raise ValueError(f"magic_kind must be one of 'line', 'cell', 'line_cell', not {magic_kind!r}")
        name = magic_name or func.__name__
        for kind in ("line", "cell") if magic_kind == "line_cell" else (magic_kind,):
            self._session.user_magics[kind][name] = func

    def run_line_magic(self, magic_name, line, _stack_depth=1):
        user = self._session.user_magics["line"].get(magic_name)
        if user is not None:
            return user(line)
        magic = _LINE_MAGICS.get(magic_name)
        if magic is None:
            if magic_name in _CELL_MAGICS:
                raise UsageError(f"Line magic function `%{magic_name}` not found (But cell magic `%%{magic_name}` exists, did you mean that instead?).")
            if magic_name in _SHELL_ONLY:
                raise UsageError(f"%{magic_name} cannot run here: {_NOT_IN_BROWSER}.")
            raise UsageError(f"Line magic function `%{magic_name}` not found.")
        return magic(self, line)

    def run_cell_magic(self, magic_name, line, cell):
        user = self._session.user_magics["cell"].get(magic_name)
        if user is not None:
            return user(line, cell)
        magic = _CELL_MAGICS.get(magic_name)
        if magic is None:
            if magic_name in _SHELL_ONLY:
                raise UsageError(f"%%{magic_name} cannot run here: {_NOT_IN_BROWSER}.")
            if magic_name in _LINE_MAGICS:
                raise UsageError(f"Cell magic `%%{magic_name}` not found (But line magic `%{magic_name}` exists, did you mean that instead?).")
            raise UsageError(f"Cell magic `%%{magic_name}` not found.")
        return magic(self, line, cell)

    def system(self, cmd):
        raise UsageError(f"!{cmd} cannot run here: {_NOT_IN_BROWSER}.")

    def getoutput(self, cmd):
        self.system(cmd)

    def transform_cell(self, code):
        return transform_cell(code)

    def ev(self, expr):
        return eval(expr, self.user_ns)

    def ex(self, cmd):
        exec(cmd, self.user_ns)


class _MagicRegistrar:
    """`@register_line_magic` and its kin (IPython.core.magic): the function becomes a magic of the session
    whose cell runs the decorator, under its own name or the one given, as in `@register_cell_magic("name")`."""

    def __init__(self, kind):
        self.kind = kind

    def __call__(self, func_or_name):
        session = bento_kernel._current
        if session is None:
            raise RuntimeError("a magic can only be registered by code that a notebook cell runs")
        if isinstance(func_or_name, str):
            return lambda func: self._register(session, func, func_or_name)
        if callable(func_or_name):
            return self._register(session, func_or_name, func_or_name.__name__)
        raise TypeError(f"register a magic with a function or a name, not {type(func_or_name).__name__}")

    def _register(self, session, func, name):
        session.shell.register_magic_function(func, self.kind, name)
        return func


register_line_magic = _MagicRegistrar("line")
register_cell_magic = _MagicRegistrar("cell")
register_line_cell_magic = _MagicRegistrar("line_cell")


# ---------------------------------------------------------------------------------------------------------
# Magics


_CLOCK_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
_SUBSECOND_UNITS = (("s", 1), ("ms", 1e3), ("\xb5s", 1e6))


def _format_duration(seconds, digits=3):
    """`12.3 ms`, `456 ns`; from a minute up, whole units such as `1h 2min 3s`, dropping what is left once it
    is under a second."""
    if seconds >= 60:
        words = []
        for unit, size in _CLOCK_UNITS:
            count, seconds = divmod(seconds, size)
            if count:
                words.append(f"{int(count)}{unit}")
            if seconds < 1:
                break
        return " ".join(words)
    for unit, scale in _SUBSECOND_UNITS:
        if seconds * scale >= 1:
            return "%.*g %s" % (digits, seconds * scale, unit)
    return "%.*g ns" % (digits, seconds * 1e9)


def _cpu_times():
    t = os.times()
    return t.user, t.system


def _parse_options(line, spec):
    """IPython's parse_options for short options: `spec` like "n:r:tcp:qo"; returns (opts, rest of line)."""
    opts = {}
    takes_value = {spec[i] for i in range(len(spec) - 1) if spec[i + 1] == ":"}
    rest = line.lstrip()
    while rest.startswith("-") and len(rest) > 1 and rest[1] in spec.replace(":", ""):
        m = re.match(r"-(\w)(\S*)\s*", rest)
        flag, value = m.group(1), m.group(2)
        rest = rest[m.end():]
        if flag in takes_value:
            if not value:
                m2 = re.match(r"(\S+)\s*", rest)
                value = m2.group(1) if m2 else ""
                rest = rest[m2.end():] if m2 else rest
            opts[flag] = value
        else:
            opts[flag] = True
            if value:
                rest = "-" + value + " " + rest
    return opts, rest


def _show_error_inline(exc):
    """IPython shows an error raised inside %time as an error output, and the cell itself succeeds."""
    ename, evalue, tb = bento_kernel.format_exception(exc)
    bento_kernel._emit("error", {"ename": ename, "evalue": evalue, "traceback": tb})


def _magic_time(shell, line, cell=None):
    """`%time stmt` and `%%time`: run once, print the CPU and wall time, give the last expression's value. An
    error is shown as an error output and the cell goes on, as on IPython."""
    if line and cell:
        raise UsageError("Can't use statement directly after '%%time'!")
    source = transform_cell(cell or line)
    statements = ast.parse(source).body
    last = statements.pop() if statements and isinstance(statements[-1], ast.Expr) else None
    # Tracebacks name the code "<timed eval>" when it is a lone expression, "<timed exec>" otherwise.
    filename = "<timed eval>" if last is not None and not statements else "<timed exec>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    run = compile(ast.Module(statements, []), filename, "exec") if statements else None
    value = compile(ast.Expression(last.value), filename, "eval") if last is not None else None
    cpu_before, wall_before = _cpu_times(), time.time()
    try:
        if run is not None:
            exec(run, shell.user_ns)
        result = eval(value, shell.user_ns) if value is not None else None
    except Exception as exc:  # noqa: BLE001 -- shown as IPython shows it, the cell goes on
        _show_error_inline(exc)
        return None
    wall = time.time() - wall_before
    user, system = (after - before for after, before in zip(_cpu_times(), cpu_before))
    print(f"CPU times: user {_format_duration(user)}, sys: {_format_duration(system)}, "
          f"total: {_format_duration(user + system)}")
    print(f"Wall time: {_format_duration(wall)}")
    return result


class TimeitResult:
    """What `%timeit -o` returns. Notebooks read its attributes, so they are named as on IPython."""

    def __init__(self, loops, repeat, best, worst, all_runs, compile_time, precision):
        self.loops, self.repeat = loops, repeat
        self.best, self.worst = best, worst
        self.all_runs = all_runs
        self.compile_time = compile_time
        self.timings = [run / loops for run in all_runs]
        self._digits = precision

    @property
    def average(self):
        return statistics.fmean(self.timings)

    @property
    def stdev(self):
        return statistics.pstdev(self.timings)

    def __str__(self):
        mean, spread = (_format_duration(seconds, self._digits) for seconds in (self.average, self.stdev))
        runs = f"{self.repeat} run" + ("" if self.repeat == 1 else "s")
        loops = f"{self.loops:,} loop" + ("" if self.loops == 1 else "s")
        return f"{mean} \xb1 {spread} per loop (mean \xb1 std. dev. of {runs}, {loops} each)"

    def _repr_pretty_(self, p, cycle):
        p.text(f"<TimeitResult : {self}>")


def _timed_loop(setup, statement):
    """The module defining `_bento_timed_loop(iterations, clock)`, which timeit.Timer calls: the setup once,
    then the statement once per iteration, returning the seconds the iterations took. It is a function so
    that the statement's names are locals, as in timeit."""

    def load(name):
        return ast.Name(name, ast.Load())

    started = ast.Assign([ast.Name("_bento_started", ast.Store())], ast.Call(load("_bento_clock"), [], []))
    loop = ast.For(ast.Name("_bento_iteration", ast.Store()), load("_bento_iterations"),
                   statement.body or [ast.Pass()], [])
    elapsed = ast.Return(ast.BinOp(ast.Call(load("_bento_clock"), [], []), ast.Sub(), load("_bento_started")))
    parameters = ast.arguments(posonlyargs=[], args=[ast.arg("_bento_iterations"), ast.arg("_bento_clock")],
                               kwonlyargs=[], kw_defaults=[], defaults=[])
    extra = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    function = ast.FunctionDef("_bento_timed_loop", parameters, [*setup.body, started, loop, elapsed], [], None,
                               **extra)
    return ast.fix_missing_locations(ast.Module([function], []))


def _magic_timeit(shell, line, cell=None):
    """`%timeit stmt` and `%%timeit setup`: the statement's time per loop, as mean and spread over runs."""
    opts, stmt = _parse_options(line, "n:r:tcp:qo")
    if stmt == "" and cell is None:
        return None
    setup_source, statement_source = ("pass", stmt) if cell is None else (stmt or "pass", cell)
    setup, statement = ast.parse(transform_cell(setup_source)), ast.parse(transform_cell(statement_source))
    # Syntax errors name the part they are in, as on IPython.
    compile(setup, "<magic-timeit-setup>", "exec")
    compile(statement, "<magic-timeit-stmt>", "exec")
    compile_started = time.perf_counter()
    code = compile(_timed_loop(setup, statement), "<magic-timeit>", "exec")
    compile_time = time.perf_counter() - compile_started
    defined = {}
    exec(code, shell.user_ns, defined)
    timer = _timeit.Timer(timer=_timeit.default_timer)
    timer.inner = defined["_bento_timed_loop"]
    loops = int(opts.get("n", 0))
    if loops <= 0:
        # Enough loops for a run to take 0.2 s, trying 1, 10, 100, ... up to a billion.
        loops = 1
        while loops < 10 ** 9 and timer.timeit(loops) < 0.2:
            loops *= 10
    runs = timer.repeat(int(opts.get("r", 7)), loops)
    result = TimeitResult(loops, len(runs), min(runs) / loops, max(runs) / loops, runs, compile_time,
                          int(opts.get("p", 3)))
    if "q" not in opts:
        if result.best > 0 and result.worst > max(4 * result.best, 1e-6):
            print("The slowest run took %0.2f times longer than the fastest. This could mean that an "
                  "intermediate result is being cached." % (result.worst / result.best))
        print(result)
        if compile_time > 0.1:
            print("Compiler time: %.2f s" % compile_time)
    return result if "o" in opts else None


def _user_names(shell, type_names=""):
    """The user's variables, sorted, only those whose type is named in `type_names` if it names any. Names
    starting with `_` and what the kernel itself put in the namespace are not the user's."""
    kernel_values = shell._session.hidden
    wanted = set(type_names.split())
    return sorted(name for name, value in shell.user_ns.items()
                  if not name.startswith("_")
                  and not (name in kernel_values and kernel_values[name] is value)
                  and (not wanted or type(value).__name__ in wanted))


def _no_variables(type_names):
    return "No variables match your requested type." if type_names else "Interactive namespace is empty."


def _magic_who(shell, line):
    names = _user_names(shell, line)
    if not names:
        print(_no_variables(line))
        return
    # Nine names a row, each followed by a tab and a space; a full last row is followed by an empty line.
    rows = ["".join(f"{name}\t " for name in names[start:start + 9]) for start in range(0, len(names), 9)]
    print("\n".join(rows) + ("\n" if len(names) % 9 == 0 else ""))


def _whos_summary(value, type_name):
    if type_name in ("dict", "list", "tuple"):
        return f"n={len(value)}"
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 -- one odd value must not break the table
        text = f"<object with id {id(value)} (str() failed)>"
    text = text.replace("\n", "\\n")
    return text if len(text) < 50 else f"{text[:25]}<...>{text[-25:]}"


def _magic_whos(shell, line):
    names = _user_names(shell, line)
    if not names:
        print(_no_variables(line))
        return
    rows = [(name, type(shell.user_ns[name]).__name__, shell.user_ns[name]) for name in names]
    name_width = max(len("Variable"), *(len(name) for name, _, _ in rows)) + 3
    type_width = max(len("Type"), *(len(type_name) for _, type_name, _ in rows)) + 3
    print(f"{'Variable':<{name_width}}{'Type':<{type_width}} Data/Info")
    print("-" * (name_width + type_width + 10))
    for name, type_name, value in rows:
        print(f"{name:<{name_width}}{type_name:<{type_width}} {_whos_summary(value, type_name)}")


def _confirmed(question):
    try:
        answer = input(question)
    except bento_kernel.StdinNotImplementedError:
        return True  # the frontend cannot answer, and the user asked for the reset
    return answer.strip().lower() in ("y", "yes")


def _magic_reset(shell, line):
    """`%reset [-f] [-s] [in] [out]`: forget the session's variables (with -s only those %who lists), or the
    input or output history."""
    opts, rest = _parse_options(line, "sf")
    if "f" not in opts and not _confirmed("Once deleted, variables cannot be recovered. Proceed (y/[n])? "):
        print("Nothing done.")
        return
    session, ns = shell._session, shell.user_ns
    targets = rest.lower().split()
    if "s" in opts:
        for name in _user_names(shell):
            del ns[name]
    elif not targets:
        session.reset_namespace()
    for target in targets:
        if target == "out":
            print(f"Flushing output cache ({len(ns['Out'])} entries)")
            ns["Out"].clear()
        elif target == "in":
            print("Flushing input history")
            for count in range(1, session.execution_count + 1):
                ns.pop(f"_i{count}", None)
            ns.update(_i="", _ii="", _iii="")
        else:
            print(f"Don't know how to reset  {target}, please run `%reset?` for details")
    gc.collect()


def _magic_env(shell, line):
    line = line.strip()
    if not line:
        return dict(os.environ)
    if "=" in line.split()[0]:
        var, _, value = line.partition("=")
        var, value = var.strip(), value.strip()
        os.environ[var] = value
        print(f"env: {var}={value}")
        return None
    parts = line.split(None, 1)
    if len(parts) == 1:
        try:
            return os.environ[parts[0]]
        except KeyError as exc:
            raise UsageError(f"Environment does not have key: {parts[0]}") from exc
    os.environ[parts[0]] = parts[1]
    print(f"env: {parts[0]}={parts[1]}")
    return None


def _magic_pwd(shell, line):
    return os.getcwd()


def _magic_cd(shell, line):
    target = os.path.expanduser(line.strip().strip("'\"") or "~")
    try:
        os.chdir(target)
    except OSError as exc:
        print(f"[Errno {exc.errno}] {exc.strerror}: '{target}'")
        return
    print(os.getcwd())


_BACKEND = "module://bento_inline"


def _magic_matplotlib(shell, line):
    gui = line.strip().split()[0] if line.strip() else "inline"
    if gui not in ("inline", "agg"):
        raise UsageError(f"%matplotlib {gui} cannot run here: the browser kernel shows figures inline only "
                         "(%matplotlib inline).")
    # matplotlib reads MPLBACKEND when it is first imported; one imported already switches now.
    os.environ["MPLBACKEND"] = _BACKEND
    shell._session.inline_figures = True
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use(_BACKEND)


def _inline_backend_module():
    """A matplotlib backend module (`module://bento_inline`): Agg canvases, and show() publishes PNGs."""
    module = types.ModuleType("bento_inline")

    def __getattr__(name):
        if name in ("FigureCanvas", "FigureCanvasAgg"):
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            return FigureCanvasAgg
        raise AttributeError(name)

    def show(block=None):
        flush_figures()

    module.__getattr__ = __getattr__
    module.show = show
    return module


def flush_figures():
    """Publishes every open pyplot figure as image/png and closes it (after a cell, or on plt.show())."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    import base64

    for num in pyplot.get_fignums():
        figure = pyplot.figure(num)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        png = base64.b64encode(buffer.getvalue()).decode("ascii")
        bento_kernel.display({"image/png": png, "text/plain": repr(figure)}, raw=True)
    pyplot.close("all")


sys.modules.setdefault("bento_inline", _inline_backend_module())


def after_cell(session):
    """IPython's post-execute hook for inline figures."""
    if getattr(session, "inline_figures", False) and os.environ.get("MPLBACKEND") == _BACKEND:
        try:
            flush_figures()
        except Exception as exc:  # noqa: BLE001 -- a figure that cannot render must not fail the cell
            print(f"A figure could not be rendered: {type(exc).__name__}: {exc}", file=sys.stderr)


def _magic_pip(shell, line):
    args = shlex.split(line)
    if not args or args[0] != "install":
        if args and args[0] == "list":
            for name, info in sorted(_loaded_packages().items()):
                print(f"{name} {info}")
            return
        raise UsageError("%pip in the browser kernel installs packages: %pip install NAME [NAME ...], from the "
                         "package index's lockfile or a pure-Python wheel's URL.")
    wanted = [a for a in args[1:] if not a.startswith("-")]
    if not wanted:
        raise UsageError("%pip install needs at least one package name or wheel URL.")
    session = shell._session
    requests = []
    for spec in wanted:
        if spec.endswith(".whl"):
            requests.append(spec)
            continue
        name = re.split(r"[<>=!~\[; ]", spec, 1)[0]
        if _find_package(name) is None:
            raise UsageError(f"%pip: '{name}' is not in the package index ({bento_kernel._package_index}). The browser "
                             "kernel installs packages of the index's lockfile, or a pure-Python wheel by URL "
                             "(%pip install https://host/path/name-1.0-py3-none-any.whl).")
        requests.append("package:" + _find_package(name))
    if session.load_packages is None:
        raise UsageError("%pip cannot install packages here: the kernel was started without a package loader.")
    from pyodide.ffi import run_sync

    try:
        run_sync(session.load_packages(json.dumps(requests)))
    except Exception as exc:  # a JsException carrying the loader's message, which names the package and index
        raise bento_kernel.PackageLoadError(str(exc).removeprefix("Error: ")) from None
    names = [r.removeprefix("package:") for r in requests]
    print("Successfully installed " + " ".join(n.rsplit("/", 1)[-1] for n in names))


def _find_package(name):
    norm = re.sub(r"[-_.]+", "-", name).lower()
    for package in set(bento_kernel._package_imports.values()):
        if re.sub(r"[-_.]+", "-", package).lower() == norm:
            return package
    if name in bento_kernel._package_imports:
        return bento_kernel._package_imports[name]
    return None


def _loaded_packages():
    try:
        import pyodide_js

        return {k: str(v) for k, v in pyodide_js.loadedPackages.object_entries()}
    except Exception:
        return {}


def _magic_run(shell, line):
    opts, rest = _parse_options(line, "in")
    args = shlex.split(rest)
    if not args:
        raise UsageError("%run needs a file name.")
    path = args[0]
    if not os.path.isfile(path):
        raise UsageError(f"%run {path} cannot run here: the browser kernel sees only its own in-browser files, "
                         f"and there is no file {path!r} among them; run this cell on a Jupyter kernel instead.")
    import runpy

    saved_argv = sys.argv
    sys.argv = args
    try:
        result = runpy.run_path(path, init_globals=dict(shell.user_ns), run_name="__main__")
    finally:
        sys.argv = saved_argv
    shell.user_ns.update({k: v for k, v in result.items() if not k.startswith("__")})


def _magic_pinfo(shell, line, detail_level=0):
    name = line.strip()
    try:
        obj = _find_object(shell, name)
    except LookupError:
        print(f"Object `{name}` not found.")
        return
    text = object_info_text(obj, name, detail_level)
    shell._session.payload.append({"source": "page", "data": {"text/plain": text}, "start": 0})


def _find_object(shell, dotted):
    parts = dotted.split(".")
    ns = shell.user_ns
    if parts[0] in ns:
        obj = ns[parts[0]]
    elif hasattr(builtins, parts[0]):
        obj = getattr(builtins, parts[0])
    else:
        raise LookupError(dotted)
    for part in parts[1:]:
        try:
            obj = getattr(obj, part)
        except Exception as exc:
            raise LookupError(dotted) from exc
    return obj


def _magic_psource(shell, line):
    obj = _find_object(shell, line.strip())
    shell._session.payload.append({"source": "page", "data": {"text/plain": inspect.getsource(obj)}, "start": 0})


def _magic_pdoc(shell, line):
    obj = _find_object(shell, line.strip())
    doc = inspect.getdoc(obj)
    text = _red("Class docstring:") + "\n    " + (doc or "").replace("\n", "\n    ") if doc else "No documentation found for " + line.strip()
    shell._session.payload.append({"source": "page", "data": {"text/plain": text}, "start": 0})


def _magic_accept(shell, line):
    """Magics that only tune IPython's own machinery (autoreload, config): nothing to do in the browser."""
    return None


def _magic_load_ext(shell, line):
    name = line.strip()
    if name in ("autoreload", "storemagic"):
        return None
    module = __import__(name)
    hook = getattr(module, "load_ipython_extension", None)
    if hook is None:
        print(f"The {name} module is not an IPython extension.")
        return None
    hook(shell)
    return None


def _magic_precision(shell, line):
    new = line.strip()
    if "%" in new:
        try:
            new % 3.14159
        except Exception as exc:
            raise ValueError(f"Precision must be int or format string, not {new!r}") from exc
        fmt = new
    elif new:
        try:
            digits = int(new)
        except ValueError as exc:
            raise ValueError(f"Precision must be int or format string, not {new!r}") from exc
        if digits < 0:
            raise ValueError(f"int precision must be non-negative, not {digits!r}")
        fmt = f"%.{digits}f"
    else:
        fmt = "%r"
    shell._session.float_format = fmt
    return fmt


def _magic_xmode(shell, line):
    mode = line.strip().capitalize() or "Context"
    print(f"Exception reporting mode: {mode}")


def _magic_history(shell, line):
    opts, rest = _parse_options(line, "n")
    history = shell.user_ns["In"]
    for n, code in enumerate(history[1:], start=1):
        if n == len(history) - 1:
            break  # the %history call itself
        print(f"{n:>4}: {code}" if "n" in opts else code)


def _magic_lsmagic(shell, line):
    print("Available line magics:\n" + "  ".join(f"%{n}" for n in sorted(_LINE_MAGICS)))
    print("\nAvailable cell magics:\n" + "  ".join(f"%%{n}" for n in sorted(_CELL_MAGICS)))


def _magic_who_ls(shell, line):
    return _user_names(shell, line)


def _cell_display(class_name):
    def magic(shell, line, cell):
        bento_kernel.display(getattr(bento_kernel, class_name)(cell))

    return magic


def _cell_time(shell, line, cell):
    return _magic_time(shell, line, cell)


def _cell_timeit(shell, line, cell):
    return _magic_timeit(shell, line, cell)


def _cell_writefile(shell, line, cell):
    opts, rest = _parse_options(line, "a")
    path = os.path.expanduser(rest.strip().strip("'\""))
    if not path:
        raise UsageError("%%writefile needs a file name.")
    exists = os.path.exists(path)
    if "a" in opts:
        print(f"Appending to {path}")
    else:
        print(f"Overwriting {path}" if exists else f"Writing {path}")
    with open(path, "a" if "a" in opts else "w", encoding="utf-8") as f:
        f.write(cell)


class CapturedIO:
    """What `%%capture name` keeps: the cell's stdout and stderr text and its displays; `name()` or
    `name.show()` shows them again."""

    def __init__(self, stdout, stderr, outputs):
        self.stdout, self.stderr, self.outputs = stdout, stderr, outputs

    def __str__(self):
        return self.stdout

    def __call__(self):
        self.show()

    def show(self):
        sys.stdout.write(self.stdout)
        sys.stderr.write(self.stderr)
        for msg_type, content in self.outputs:
            bento_kernel._emit(msg_type, content)


def _cell_capture(shell, line, cell):
    args = line.split()
    name = next((a for a in args if not a.startswith("-")), None)
    out, err = io.StringIO(), io.StringIO()
    captured = []
    session = shell._session
    saved = sys.stdout, sys.stderr, session.emit
    sys.stdout = out if "--no-stdout" not in args else sys.stdout
    sys.stderr = err if "--no-stderr" not in args else sys.stderr

    def emit(msg_type, content_json):
        if "--no-display" in args or msg_type not in ("display_data",):
            saved[2](msg_type, content_json)
        else:
            captured.append((msg_type, json.loads(content_json)))

    session.emit = emit
    try:
        bento_kernel.run_nested(session, cell)
    finally:
        sys.stdout, sys.stderr, session.emit = saved
    if name:
        shell.user_ns[name] = CapturedIO(out.getvalue(), err.getvalue(), captured)


_LINE_MAGICS = {
    "time": _magic_time,
    "timeit": _magic_timeit,
    "env": _magic_env,
    "set_env": _magic_env,
    "who": _magic_who,
    "who_ls": _magic_who_ls,
    "whos": _magic_whos,
    "reset": _magic_reset,
    "matplotlib": _magic_matplotlib,
    "pip": _magic_pip,
    "run": _magic_run,
    "pinfo": _magic_pinfo,
    "pinfo2": lambda shell, line: _magic_pinfo(shell, line, 1),
    "psource": _magic_psource,
    "pdoc": _magic_pdoc,
    "pwd": _magic_pwd,
    "cd": _magic_cd,
    "load_ext": _magic_load_ext,
    "reload_ext": _magic_accept,
    "autoreload": _magic_accept,
    "aimport": _magic_accept,
    "config": _magic_accept,
    "precision": _magic_precision,
    "xmode": _magic_xmode,
    "history": _magic_history,
    "hist": _magic_history,
    "lsmagic": _magic_lsmagic,
}

_CELL_MAGICS = {
    "time": _cell_time,
    "timeit": _cell_timeit,
    "capture": _cell_capture,
    "writefile": _cell_writefile,
    "html": _cell_display("HTML"),
    "HTML": _cell_display("HTML"),
    "markdown": _cell_display("Markdown"),
    "javascript": _cell_display("Javascript"),
    "js": _cell_display("Javascript"),
    "latex": _cell_display("Latex"),
    "svg": _cell_display("SVG"),
}

def magic_names(session, cell=False):
    """The magics a session knows, sorted: line magics, or cell magics when `cell`."""
    kind = "cell" if cell else "line"
    return sorted({*(_CELL_MAGICS if cell else _LINE_MAGICS), *session.user_magics[kind]})


# Magics that need a shell or the server's files: they say so rather than "not found".
_SHELL_ONLY = {"bash", "sh", "script", "system", "sx", "conda", "mamba", "ls", "ll", "cat", "cp", "mv", "rm",
               "mkdir", "rmdir", "man", "less", "more", "sc", "perl", "ruby", "python", "python3", "pypy",
               "debug", "pdb", "prun", "load", "edit", "notebook", "connect_info", "qtconsole", "killbgscripts"}


# ---------------------------------------------------------------------------------------------------------
# Object inspection: `obj?`, `obj??` and the inspect request share one text, a table of titled fields.

_RED, _PLAIN = "\x1b[31m", "\x1b[0m"
_OBJECT_INIT_DOC = inspect.getdoc(object.__init__)
# Docstrings that every module, method, function or property has: they say nothing about this one.
_GENERIC_DOCS = {inspect.getdoc(t) for t in (types.ModuleType, types.MethodType, types.FunctionType, property)}


def _red(title):
    return f"{_RED}{title}{_PLAIN}"


def _signature_line(obj, name):
    try:
        return name + str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None


def _own_init_doc(obj):
    """The docstring of `obj.__init__`, unless it is object's own."""
    try:
        doc = inspect.getdoc(obj.__init__)
    except AttributeError:
        return None
    return None if doc == _OBJECT_INIT_DOC else doc


def _defining_file(obj):
    try:
        return inspect.getsourcefile(obj) or inspect.getfile(obj)
    except TypeError:
        pass  # not from a file (an instance, a builtin): where its type comes from, if anywhere
    try:
        return inspect.getfile(type(obj))
    except TypeError:
        return None


def _source_text(obj):
    try:
        return inspect.getsource(obj).rstrip()
    except (TypeError, OSError):
        return None


def _docstring_in_source(source, doc):
    """Whether `source` is one definition whose docstring is `doc`: `obj??` then shows the source alone."""
    try:
        body = ast.parse(textwrap.dedent(source)).body
    except (SyntaxError, ValueError):
        return False
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return len(body) == 1 and isinstance(body[0], definitions) and ast.get_docstring(body[0]) == doc


def _string_form(obj, full):
    """`str(obj)`; past 200 characters, unless `full`, its start and end around ` <...> `."""
    try:
        text = str(obj)
    except Exception:  # noqa: BLE001 -- a broken __str__ just leaves the field out
        return None
    if full or len(text) <= 200:
        return text
    text = f"{text[:97]} <...> {text[-97:]}"
    return ("\n" + " " * 11).join(part.strip() for part in text.split("\n"))


def _length(obj):
    try:
        return str(len(obj))
    except Exception:  # noqa: BLE001 -- no length: no field
        return None


def _subclass_names(cls):
    names = [sub.__name__ for sub in type.__subclasses__(cls)] if isinstance(cls, type) else []
    return ", ".join(names[:10] + (["..."] if len(names) >= 10 else []))


def _is_plain_callable(obj):
    return (inspect.isfunction(obj) or inspect.ismethod(obj)
            or isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)))


def _field_table(fields):
    """One line per field that has a value: its title in red, padded to the longest title, then the value on
    the same line, or from the next line when it spans several."""
    fields = [(title, value) for title, value in fields if value]
    width = max(len(title) for title, _ in fields)
    lines = []
    for title, value in fields:
        value = str(value).strip("\n")
        gap = " " * (width - len(title)) + ("\n" if "\n" in value else " ")
        lines.append(_red(title + ":") + gap + value + "\n")
    return "".join(lines)


def object_info_text(obj, name, detail_level=0):
    """What `name?` (detail_level 0) or `name??` (1, with the source) pages for `obj`."""
    full = bool(detail_level)
    doc = inspect.getdoc(obj)
    doc = "<no docstring>" if doc is None else doc
    source = _source_text(obj) if full else None
    if source and doc and _docstring_in_source(source, doc):
        doc = None
    try:
        where = _defining_file(obj)
    except Exception:  # noqa: BLE001 -- a module that lies about its file
        where = None
    type_name = type(obj).__name__
    if inspect.isclass(obj):
        return _field_table([
            ("Init signature", _signature_line(obj, name)),
            ("Docstring", doc),
            ("Source", source) if source else ("Init docstring", _own_init_doc(obj)),
            ("File", where),
            ("Type", type_name),
            ("Subclasses", _subclass_names(obj)),
        ])
    if _is_plain_callable(obj):
        return _field_table([
            ("Signature", _signature_line(obj, name)),
            ("Docstring", doc),
            ("Source", source),
            ("File", where),
            ("Type", type_name),
        ])
    class_doc = inspect.getdoc(type(obj))
    if class_doc in _GENERIC_DOCS or class_doc == doc:
        class_doc = None
    return _field_table([
        ("Signature", _signature_line(obj, name) if callable(obj) else None),
        ("Type", type_name),
        ("String form", _string_form(obj, full)),
        ("Length", _length(obj)),
        ("File", where),
        ("Source", source) if source else ("Docstring", doc),
        ("Class docstring", class_doc),
        ("Init docstring", _own_init_doc(obj)),
    ])
