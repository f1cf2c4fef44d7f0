# The `import` placement rule's question to the kernel (run by probe.ts): which top-level modules does the cell
# in ARGS["source"] import that the runtime cannot provide? ANSWER is {"syntaxError": bool, "available": [...],
# "missing": [...]}, names in the order the cell first imports them; "available" leaves out names that only a
# `%pip install` in this very cell provides, since the caller caches it.
import ast
import builtins
import importlib
import importlib.util
import re
import sys

# A handler for one of these catches ImportError: the cell copes with the module being absent.
_GUARDS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _names(node):
    if node is None:
        return ["BaseException"]  # a bare `except:`
    exprs = node.elts if isinstance(node, ast.Tuple) else [node]
    return [e.id if isinstance(e, ast.Name) else getattr(e, "attr", "") for e in exprs]


def _is_type_checking(test):
    return getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING"


def _imports(node, found):
    if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        if any(_GUARDS.intersection(_names(h.type)) for h in node.handlers):
            # Only the body is guarded: `else` and `finally` run outside the handlers.
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                _imports(child, found)
            return
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        for child in node.orelse:
            _imports(child, found)
        return
    if isinstance(node, ast.Import):
        found.extend(alias.name.split(".")[0] for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
        found.append(node.module.split(".")[0])
    for child in ast.iter_child_nodes(node):
        _imports(child, found)


def _pip_installed(tree):
    """Import names a `%pip install` in the cell provides (a wheel's name up to its first dash, or the package)."""
    names = set()
    for node in ast.walk(tree):
        args = getattr(node, "args", None)
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "run_line_magic" and len(args) >= 2
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2])
                and args[0].value == "pip"):
            continue
        words = args[1].value.split()
        for word in words[1:] if words[:1] == ["install"] else []:
            if not word.startswith("-"):
                name = word.rsplit("/", 1)[-1].split("-")[0] if word.endswith(".whl") else re.split(r"[<>=!~\[;]", word)[0]
                names.add(re.sub(r"[-.]", "_", name).lower())
    return names


def _transform(source):
    """The Python the kernel would run: IPython syntax (`%magic`, `!cmd`) becomes calls."""
    get_ipython = NAMESPACE.get("get_ipython") or getattr(builtins, "get_ipython", None)  # noqa: F821
    try:
        return get_ipython().transform_cell(source)
    except Exception:  # noqa: BLE001 -- no shell, or one that cannot transform: the compiler judges the source
        return source


def _lockfile_imports():
    """The browser kernel's lockfile import map (Pyodide loads those packages on import); none elsewhere."""
    try:
        import bento_kernel

        return bento_kernel._package_imports
    except Exception:  # noqa: BLE001
        return {}


def _importable(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module in sys.modules without a spec
        return name in sys.modules


def _answer(source):
    try:
        tree = compile(_transform(source), "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except (SyntaxError, ValueError, OverflowError):
        return {"syntaxError": True, "available": [], "missing": []}
    found = []
    _imports(tree, found)
    names = list(dict.fromkeys(found))
    lockfile = _lockfile_imports()
    available = [n for n in names if n in sys.modules or n in lockfile or _importable(n)]
    if len(available) < len(names):
        # A module file written moments ago may be newer than the path finders' cached directory listings.
        importlib.invalidate_caches()
        available = [n for n in names if n in available or _importable(n)]
    pipped = _pip_installed(tree)
    missing = [n for n in names if n not in available and n.lower() not in pipped]
    return {"syntaxError": False, "available": available, "missing": missing}


ANSWER = _answer(ARGS["source"])  # noqa: F821
