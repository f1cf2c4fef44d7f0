"""The Python side of farming out one cell (farm-out.ts): what a cell reads and assigns, and moving variables
between two kernels. probe() runs this source with `NAMESPACE` (the user's variables) and `ARGS`, then one call.

Values that are not tables travel pickled (protocol 4, which every Python 3.4+ reads) and base64-encoded, inside
one JSON dict that the kernels' value path carries (`extract`/`inject` with `value: true`); tables travel as
columns through the kernels' own table path. Either way the receiving side stages everything under temporary
names first and `bind` moves it all into place at once, so a value that cannot arrive leaves nothing behind.
"""

import ast
import base64
import io
import pickle
import re
import symtable
import types

# IPython's history and helpers: in a namespace, but never something a cell means to send.
_IPYTHON_NAMES = re.compile(r"_+|_\d+|_i+|_i\d+|_[ido]h|In|Out|get_ipython|exit|quit")


def _is_dunder(name):
    return name.startswith("__") and name.endswith("__")


def _parse(source):
    """(tree, text) of the cell, IPython-only lines read as Python (`%magic` as `pass`, `x = !ls` as
    `x = None`); (None, None) when it is not Python at all: the kernel that runs it reports the error."""
    try:
        return ast.parse(source), source
    except SyntaxError:
        pass
    lines = (re.sub(r"^(\s*)(\w+\s*=\s*)[%!].*$", r"\1\2None", line) for line in source.split("\n"))
    text = "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in lines)
    try:
        return ast.parse(text), text
    except SyntaxError:
        return None, None


class _Walker:
    """Module-level names in execution order: read before bound (inputs) and bound by assignment (outputs)."""

    def __init__(self):
        self.bound = set()
        self.inputs = []
        self.outputs = []

    def read(self, name):
        if name not in self.bound and name not in self.inputs:
            self.inputs.append(name)

    def bind(self, name, output):
        self.bound.add(name)
        if output and name not in self.outputs:
            self.outputs.append(name)

    def body(self, statements):
        for node in statements:
            self.statement(node)

    def statement(self, node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for expr in [*node.decorator_list, *args.defaults, *args.kw_defaults]:
                self.expr(expr)
            self.bind(node.name, False)
        elif isinstance(node, ast.ClassDef):
            for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
                self.expr(expr)
            self.bind(node.name, False)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    self.bind((alias.asname or alias.name).split(".")[0], False)
        elif isinstance(node, ast.Assign):
            self.expr(node.value)
            for target in node.targets:
                self.target(target)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.target if not isinstance(node.target, ast.Name) else ast.Name(node.target.id, ast.Load()))
            self.expr(node.value)
            self.target(node.target)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expr(node.value)
                self.target(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expr(node.iter)
            self.target(node.target)
            self.body(node.body)
            self.body(node.orelse)
        elif isinstance(node, (ast.While, ast.If)):
            self.expr(node.test)
            self.body(node.body)
            self.body(node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.target(item.optional_vars)
            self.body(node.body)
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.body(node.body)
            for handler in node.handlers:
                self.expr(handler.type)
                if handler.name:
                    self.bind(handler.name, False)  # Python deletes it after the handler
                self.body(handler.body)
            self.body(node.orelse)
            self.body(node.finalbody)
        elif isinstance(node, ast.Match):
            self.expr(node.subject)
            for case in node.cases:
                self.pattern(case.pattern)
                self.expr(case.guard)
                self.body(case.body)
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Delete)):
            pass
        else:
            for child in ast.iter_child_nodes(node):
                self.expr(child)

    def target(self, node):
        if isinstance(node, ast.Name):
            self.bind(node.id, True)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self.target(element)
        elif isinstance(node, ast.Starred):
            self.target(node.value)
        elif isinstance(node, (ast.Subscript, ast.Attribute)):
            # `df["x"] = ...` changes `df`: it comes back like an assigned name.
            self.expr(node)
            base = node
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                self.bind(base.id, True)

    def pattern(self, node):
        for sub in ast.walk(node):
            if isinstance(sub, ast.MatchValue):
                self.expr(sub.value)
            elif isinstance(sub, ast.MatchClass):
                self.expr(sub.cls)
            name = getattr(sub, "name", None) or getattr(sub, "rest", None)
            if isinstance(name, str):
                self.bind(name, True)

    def expr(self, node):
        if node is None:
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.read(node.id)
            return
        if isinstance(node, ast.NamedExpr):
            self.expr(node.value)
            self.bind(node.target.id, True)
            return
        if isinstance(node, ast.Lambda):
            for expr in [*node.args.defaults, *node.args.kw_defaults]:
                self.expr(expr)
            return  # its body's globals: _free_globals
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            self.comprehension(node)
            return
        for child in ast.iter_child_nodes(node):
            self.expr(child)

    def comprehension(self, node):
        """Runs where it stands: its first iterable, then everything else but its own loop variables."""
        own = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        self.expr(node.generators[0].iter)
        rest = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        rest += [g.iter for g in node.generators[1:]] + [c for g in node.generators for c in g.ifs]
        for part in rest:
            for sub in ast.walk(part):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in own:
                    self.read(sub.id)
                elif isinstance(sub, ast.NamedExpr):
                    self.bind(sub.target.id, True)


def _free_globals(text):
    """Global names the cell's functions, lambdas and classes use: read when they are called, so counted as
    inputs unless the cell itself binds them."""
    names = []
    tables = list(symtable.symtable(text, "<cell>", "exec").get_children())
    while tables:
        table = tables.pop(0)
        for symbol in table.get_symbols():
            if symbol.is_referenced() and symbol.is_global() and symbol.get_name() not in names:
                names.append(symbol.get_name())
        tables.extend(table.get_children())
    return names


def plan(namespace, args):
    """{inputs, outputs}: the names `args["source"]` reads that exist in `namespace` (not modules), and the
    names it assigns at module level; `parsed` is False when the source is not Python."""
    tree, text = _parse(args["source"])
    if tree is None:
        return {"inputs": [], "outputs": [], "parsed": False}
    walker = _Walker()
    walker.body(tree.body)
    reads = walker.inputs + [n for n in _free_globals(text) if n not in walker.bound and n not in walker.inputs]
    inputs = [
        name
        for name in reads
        if name in namespace
        and not _is_dunder(name)
        and not _IPYTHON_NAMES.fullmatch(name)
        and not isinstance(namespace[name], types.ModuleType)
    ]
    outputs = [name for name in walker.outputs if not _is_dunder(name)]
    return {"inputs": inputs, "outputs": outputs, "parsed": True}


def _is_table(value):
    kind = type(value)
    return (kind.__name__ == "DataFrame" and kind.__module__.startswith("pandas")) or (
        kind.__name__ == "Table" and kind.__module__ == "bento_table"
    )


def _stays(value):
    """Code and open resources (a module, a function, a class, a file): they mean nothing on the other side."""
    return isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type, io.IOBase))


def _reason(error):
    return str(error) or type(error).__name__


def pack(namespace, args):
    """Sorts `args["names"]` into tables, pickles, missing names and, when `args["keepCode"]`, values that stay;
    pickles the pickles into `namespace[args["stash"]]` (only when every one pickled). `problems` names each
    value that cannot be pickled, with the reason."""
    kinds, problems, pickles = {}, {}, {}
    for name in args["names"]:
        if name not in namespace:
            kinds[name] = "missing"
            continue
        value = namespace[name]
        if _is_table(value):
            kinds[name] = "table"
        elif args.get("keepCode") and _stays(value):
            kinds[name] = "stays"
        else:
            try:
                pickles[name] = base64.b64encode(pickle.dumps(value, protocol=4)).decode("ascii")
                kinds[name] = "pickle"
            except Exception as error:  # anything pickling raises means: this value cannot travel
                problems[name] = _reason(error)
    stashed = bool(pickles) and not problems
    if stashed:
        namespace[args["stash"]] = pickles
    return {"kinds": kinds, "problems": problems, "stashed": stashed}


def bind(namespace, args):
    """Binds every staged value at once: the tables staged under `args["tables"]` ({name: temporary name}) and
    the pickles in `namespace[args["stash"]]`. When one cannot be unpickled nothing is bound and `problem` is
    [name, reason]. The temporary names are gone afterwards either way."""
    temporaries = list(args["tables"].values()) + ([args["stash"]] if args["stash"] else [])
    try:
        values = {}
        for name, data in (namespace.get(args["stash"]) or {}).items() if args["stash"] else ():
            try:
                values[name] = pickle.loads(base64.b64decode(data))
            except Exception as error:  # a class or module only the other side has, most often
                return {"problem": [name, _reason(error)]}
        for name, temporary in args["tables"].items():
            values[name] = namespace[temporary]
        namespace.update(values)
        return {"problem": None}
    finally:
        drop(namespace, {"names": temporaries})


def drop(namespace, args):
    """Removes the temporary names `args["names"]`."""
    for name in args["names"]:
        namespace.pop(name, None)
    return None
