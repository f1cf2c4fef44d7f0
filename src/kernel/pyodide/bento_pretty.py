"""The text/plain a notebook shows for a value: short values on one line, long containers one item per line.

Printing happens in two passes. `Printer` records what a value's parts say as a small document tree: text,
places where a line may break (each remembering the indentation to resume at), and groups of them. `_Layout`
then prints the tree: a group stays on one line if it fits in what is left of the line, up to the next place
a line may break; otherwise each of its own break places becomes a newline and its subgroups decide for
themselves. `_repr_pretty_(self, p, cycle)` receives a `Printer`, whose methods are the ones IPython
documents for `p` (text, breakable, break_, begin_group, end_group, group, indent, pretty), so code written
for IPython's display runs unchanged and its output reads the same.
"""

import collections
import contextlib
import datetime
import inspect
import itertools
import os
import re
import types

WIDTH = 79
MAX_SEQ_LENGTH = 1000

_BUILTIN_MODULES = (None, "builtins", "__builtin__", "exceptions")


class _Break:
    """A place where the line may end; `hard` ones always end it (a repr spanning several lines)."""

    __slots__ = ("sep", "indent", "hard")

    def __init__(self, sep, indent, hard=False):
        self.sep, self.indent, self.hard = sep, indent, hard


class _Group:
    __slots__ = ("parts",)

    def __init__(self):
        self.parts = []  # str, _Break or _Group


class Printer:
    """Records a value's document tree; `render()` lays it out."""

    def __init__(self, max_width=WIDTH, max_seq_length=MAX_SEQ_LENGTH, float_format="%r"):
        self.max_width = max_width
        self.max_seq_length = max_seq_length
        self.float_format = float_format
        self.indentation = 0
        self._open_groups = [_Group()]
        self._printing = []  # ids of the values being printed, outermost first: a repeat is a cycle

    def text(self, obj):
        self._open_groups[-1].parts.append(str(obj))

    def breakable(self, sep=" "):
        self._open_groups[-1].parts.append(_Break(sep, self.indentation))

    def break_(self):
        self._open_groups[-1].parts.append(_Break("", self.indentation, hard=True))

    def begin_group(self, indent=0, open=""):
        if open:
            self.text(open)
        group = _Group()
        self._open_groups[-1].parts.append(group)
        self._open_groups.append(group)
        self.indentation += indent

    def end_group(self, dedent=0, close=""):
        self.indentation -= dedent
        if len(self._open_groups) > 1:
            group = self._open_groups.pop()
            if all(type(part) is str for part in group.parts):
                # Nothing in it can break: plain text lays out the same, and a big value has many of these.
                self._open_groups[-1].parts[-1] = "".join(group.parts)
        if close:
            self.text(close)

    @contextlib.contextmanager
    def group(self, indent=0, open="", close=""):
        self.begin_group(indent, open)
        try:
            yield
        finally:
            self.end_group(indent, close)

    @contextlib.contextmanager
    def indent(self, indent):
        self.indentation += indent
        try:
            yield
        finally:
            self.indentation -= indent

    def flush(self):
        """Kept for code written against IPython's printer; nothing is written before `render()`."""

    def pretty(self, obj):
        cycle = id(obj) in self._printing
        self._printing.append(id(obj))
        self.begin_group()
        try:
            _show_for(obj)(obj, self, cycle)
        finally:
            self.end_group()
            self._printing.pop()

    def render(self):
        return _Layout(self.max_width).run(self._open_groups[0])


def pretty(obj, max_width=WIDTH, max_seq_length=MAX_SEQ_LENGTH, float_format="%r"):
    """The text/plain IPython shows for `obj`."""
    printer = Printer(max_width, max_seq_length, float_format)
    printer.pretty(obj)
    return printer.render()


# ---------------------------------------------------------------------------------------------------------
# Layout


def _one_line(group, known):
    """(width of `group` on one line up to its first hard break, that break or None, whether the group has a
    break place of its own before it); `known` keeps what was measured, as every group is asked once per
    group around it."""
    measured = known.get(id(group))
    if measured is not None:
        return measured
    width, has_own, hard = 0, False, None
    for part in group.parts:
        if isinstance(part, str):
            width += len(part)
        elif isinstance(part, _Break):
            if part.hard:
                hard = part
                break
            width += len(part.sep)
            has_own = True
        else:
            inner, hard, _ = _one_line(part, known)
            width += inner
            if hard is not None:
                break
    known[id(group)] = measured = (width, hard, has_own)
    return measured


def _scan(parts, start, depth, limit):
    """(width of `parts[start:]`, children of a group nested `depth` deep, up to the first hard break or break
    place of a group at most `limit` deep; whether there was one)."""
    width = 0
    for part in itertools.islice(parts, start, None):
        if isinstance(part, str):
            width += len(part)
        elif isinstance(part, _Break):
            if part.hard or depth <= limit:
                return width, True
            width += len(part.sep)
        else:
            inner, stops = _scan(part.parts, 0, depth + 1, limit)
            width += inner
            if stops:
                return width, True
    return width, False


class _Layout:
    def __init__(self, max_width):
        self.max_width = max_width
        self.column = 0
        self.chunks = []
        # Where the layout is: [group, index of the part being placed, depth] from the root inwards.
        self.path = []
        # A hard break ends the line for one group only: the outermost that had a break place before it.
        self.used_hard_breaks = set()
        self.hard_breaks = 0
        self.measured = {}

    def run(self, root):
        self.place(root, 0)
        return "".join(self.chunks)

    def text_after(self, depth):
        """The width of what follows the current part on its line until a group at most `depth` deep may
        break there. A deeper group's break place does not end it: when the line overflows, the outermost
        group still on it splits first."""
        width = 0
        for group, index, group_depth in reversed(self.path):
            inner, stops = _scan(group.parts, index + 1, group_depth, depth)
            width += inner
            if stops:
                break
        return width

    def breaks(self, group, depth):
        """Whether `group` is split before and after its first hard break."""
        width, hard, has_own = _one_line(group, self.measured)
        if hard is None:
            split = self.column + width + self.text_after(depth) > self.max_width
            return split, split
        if self.column + width > self.max_width:
            return True, True
        if id(hard) in self.used_hard_breaks:
            return False, False
        if has_own:
            self.used_hard_breaks.add(id(hard))
            return True, True
        # Nothing of its own to break on this line: its break places after the hard break become newlines.
        return False, True

    def place(self, group, depth):
        split, split_after_hard = self.breaks(group, depth)
        frame = [group, 0, depth]
        self.path.append(frame)
        for index, part in enumerate(group.parts):
            frame[1] = index
            if isinstance(part, str):
                self.chunks.append(part)
                self.column += len(part)
            elif isinstance(part, _Break):
                if split or part.hard:
                    self.chunks.append("\n" + " " * part.indent)
                    self.column = part.indent
                else:
                    self.chunks.append(part.sep)
                    self.column += len(part.sep)
                if part.hard:
                    self.hard_breaks += 1
                    split = split_after_hard
            else:
                hard_breaks = self.hard_breaks
                self.place(part, depth + 1)
                if self.hard_breaks != hard_breaks:
                    split = split_after_hard
        self.path.pop()


# ---------------------------------------------------------------------------------------------------------
# How each kind of value is shown


def _attr(obj, name, default=None):
    try:
        return getattr(obj, name, default)
    except Exception:  # a property or __getattr__ that raises
        return default


def _show_repr(obj, p, cycle):
    lines = repr(obj).splitlines()
    with p.group():
        for number, line in enumerate(lines):
            if number:
                p.break_()
            p.text(line)


def _show_float(obj, p, cycle):
    p.text(p.float_format % obj)  # %precision changes the format


def _show_items(p, open, items, close, show_item, ending=""):
    """`open item, item, ... close`, at most max_seq_length items, continuation lines under the first item."""
    with p.group(len(open), open, close):
        for number, item in enumerate(items):
            if number:
                p.text(",")
                p.breakable()
            if p.max_seq_length and number >= p.max_seq_length:
                p.text("...")
                break
            show_item(item)
        if ending:
            p.text(ending)


def _show_sequence(open, close):
    def show(obj, p, cycle):
        if cycle:
            p.text(open + "..." + close)
            return
        one_tuple = isinstance(obj, tuple) and len(obj) == 1
        _show_items(p, open, obj, close, p.pretty, "," if one_tuple else "")

    return show


def _in_order(values):
    """Set members sorted when they compare, as text when they don't, else as they come."""
    for key in (None, str):
        try:
            return sorted(values, key=key)
        except Exception:
            pass
    return list(values)


def _show_set(open, close):
    def show(obj, p, cycle):
        if cycle:
            p.text(open + "..." + close)
        elif not obj:
            p.text(type(obj).__name__ + "()")
        else:
            huge = p.max_seq_length and len(obj) >= p.max_seq_length
            _show_items(p, open, list(obj) if huge else _in_order(obj), close, p.pretty)

    return show


def _show_mapping(open, close):
    def show(obj, p, cycle):
        if cycle:
            p.text("{...}")
            return

        def entry(key):
            p.pretty(key)
            p.text(": ")
            p.pretty(obj[key])

        _show_items(p, open, obj.keys(), close, entry)

    return show


class _Verbatim:
    """A call argument printed as given (`...`, a raw string literal, regex flags)."""

    def __init__(self, text):
        self.text = text

    def _repr_pretty_(self, p, cycle):
        p.text(self.text)


def _show_call(p, name, args=(), kwargs=()):
    """`name(arg, ..., key=value, ...)`, the way a value is written to build it."""
    entries = [(None, value) for value in args] + list(kwargs)

    def show_entry(entry):
        keyword, value = entry
        if keyword is None:
            p.pretty(value)
        else:
            with p.group(len(keyword) + 1, keyword + "="):
                p.pretty(value)

    # The call is a value of its own, one level deeper than the value it shows: that decides which of two
    # groups sharing a line splits first.
    with p.group(), p.group(len(name) + 1, name + "(", ")"):
        for number, entry in enumerate(entries):
            if number:
                p.text(",")
                p.breakable()
            show_entry(entry)


def _qualified_name(cls):
    name = _attr(cls, "__qualname__")
    if not isinstance(name, str):
        name = _attr(cls, "__name__")
    if not isinstance(name, str):
        return "<unknown type>"
    module = _attr(cls, "__module__")
    return name if module in _BUILTIN_MODULES else f"{module}.{name}"


def _show_type(obj, p, cycle):
    # A metaclass with a __repr__ of its own says how its classes read.
    own_repr = next((c for c in type(obj).__mro__ if "__repr__" in vars(c)), None)
    if own_repr is not type:
        _show_repr(obj, p, cycle)
    else:
        p.text(_qualified_name(obj))


def _show_function(obj, p, cycle):
    name = _attr(obj, "__qualname__", obj.__name__)
    module = obj.__module__
    if module not in _BUILTIN_MODULES:
        name = f"{module}.{name}"
    try:
        name += str(inspect.signature(obj))
    except (ValueError, TypeError):
        pass  # no signature to show (some builtins)
    p.text(f"<function {name}>")


def _show_exception(obj, p, cycle):
    _show_call(p, _qualified_name(obj.__class__), getattr(obj, "args", ()))


def _show_super(obj, p, cycle):
    with p.group(8, "<super: ", ">"):
        p.pretty(obj.__thisclass__)
        p.text(",")
        p.breakable()
        p.pretty(obj.__self__)


# The flags a compiled pattern lists, in the order IPython lists them.
_REGEX_FLAGS = ("IGNORECASE", "LOCALE", "MULTILINE", "DOTALL", "UNICODE", "VERBOSE", "DEBUG")


def _show_pattern(obj, p, cycle):
    literal = "r" + repr(obj.pattern).replace("\\\\", "\\")
    args = [_Verbatim(literal)]
    flags = "|".join("re." + flag for flag in _REGEX_FLAGS if obj.flags & getattr(re, flag))
    if flags:
        args.append(_Verbatim(flags))
    _show_call(p, "re.compile", args)


def _show_namespace(obj, p, cycle):
    if cycle:
        _show_call(p, "namespace", [_Verbatim("...")])
    else:
        _show_call(p, "namespace", kwargs=vars(obj).items())


def _show_constructor(arguments):
    """Values that read as the call that builds them: `deque([1, 2], maxlen=5)`."""

    def show(obj, p, cycle):
        name = obj.__class__.__name__
        if cycle:
            _show_call(p, name, [_Verbatim("...")])
        else:
            args, kwargs = arguments(obj)
            _show_call(p, name, args, kwargs)

    return show


def _show_object(obj, p, cycle):
    cls = _attr(obj, "__class__") or type(obj)
    if _attr(cls, "__repr__") is not object.__repr__:
        _show_repr(obj, p, cycle)
        return
    with p.group(1, "<", ">"):
        p.pretty(cls)
        p.text(f" at 0x{id(obj):x}")
        if cycle:
            p.text(" ...")


_SHOW_BY_TYPE = {
    int: _show_repr,
    float: _show_float,
    str: _show_repr,
    bytes: _show_repr,
    range: _show_repr,
    slice: _show_repr,
    datetime.datetime: _show_repr,
    datetime.timedelta: _show_repr,
    types.MethodType: _show_repr,
    list: _show_sequence("[", "]"),
    tuple: _show_sequence("(", ")"),
    set: _show_set("{", "}"),
    frozenset: _show_set("frozenset({", "})"),
    dict: _show_mapping("{", "}"),
    types.MappingProxyType: _show_mapping("mappingproxy({", "})"),
    type: _show_type,
    types.FunctionType: _show_function,
    types.BuiltinFunctionType: _show_function,
    BaseException: _show_exception,
    super: _show_super,
    re.Pattern: _show_pattern,
    types.SimpleNamespace: _show_namespace,
    collections.defaultdict: _show_constructor(lambda o: ([o.default_factory, dict(o)], ())),
    collections.OrderedDict: _show_constructor(lambda o: ([list(o.items())] if o else [], ())),
    collections.Counter: _show_constructor(lambda o: ([dict(o)] if o else [], ())),
    collections.deque: _show_constructor(
        lambda o: ([list(o)], [] if o.maxlen is None else [("maxlen", o.maxlen)])),
    collections.UserList: _show_constructor(lambda o: ([o.data], ())),
}
if type(os.environ) is not dict:
    _SHOW_BY_TYPE[type(os.environ)] = _show_mapping("environ{", "}")

_SINGLETONS = (None, True, False, Ellipsis, NotImplemented)


def _show_for(obj):
    """The most specific way to show `obj`: walking its classes from the most derived, the first that has a
    printer here, a `_repr_pretty_` or a `__repr__` of its own decides."""
    if any(obj is singleton for singleton in _SINGLETONS):
        return _show_repr
    cls = _attr(obj, "__class__") or type(obj)
    mro = _attr(cls, "__mro__")
    if not isinstance(mro, tuple):
        mro = type(obj).__mro__
    for klass in mro:
        show = _SHOW_BY_TYPE.get(klass)
        if show is not None:
            return show
        own = klass.__dict__
        if "_repr_pretty_" in own and callable(klass._repr_pretty_):
            return lambda value, p, cycle, method=klass._repr_pretty_: method(value, p, cycle)
        if klass is not object and callable(own.get("__repr__")):
            return _show_repr
    return _show_object
