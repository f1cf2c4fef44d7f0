"""Tables from Bento Lite's JavaScript side, in Python: the receiving end of `kernel.inject(name, table)` and the
sending end of `kernel.extract(name)`, for the in-browser (Pyodide) kernel and for remote Jupyter kernels alike.

A table arrives as a JSON header and a list of byte buffers (src/kernel/table-wire.ts describes the layout):
fixed-width columns are little-endian arrays, strings are UTF-8 text joined by a separator byte (or bytes plus
int32 offsets), nulls are a one-byte-per-row mask. It becomes a `pandas.DataFrame` when pandas is importable,
otherwise a `Table` of this module: a small, read-only table that needs nothing beyond the standard library.

Types, both ways:

  table type            Table value (no pandas)               pandas dtype (null)
  int8..int64, uint*    int                                   int8..uint64; Int8..UInt64 when nullable (<NA>)
  float32, float64      float (NaN stays NaN, null is None)   float32/float64 (NaN)
  bool                  bool                                  bool; boolean when nullable (<NA>)
  string                str                                   object of str (None)
  date                  datetime.date                         object of datetime.date (None)
  timestamp             datetime.datetime                     datetime64[ns] (NaT)

Timestamps are instants (microseconds since the Unix epoch, UTC). The rule: a column with a timezone becomes
tz-aware values in that zone (pandas: datetime64[ns, zone]); a column without one becomes naive values that
read as UTC wall-clock time. Going back, naive values are taken as UTC and aware ones keep their zone's name.
Timestamps outside pandas' datetime64[ns] range (years 1677-2262) become an object column of datetime.

A string column with `"encoding": "json"` holds JSON text: each cell arrives decoded (a list, a dict, a
number). A header with `"value": true` stands for one value, not a table: its one JSON cell is what gets bound;
`lookup(..., as_value=True)` sends any JSON-able variable back the same way.

Extracting follows pyarrow's `Table.from_pandas`: NaN in a float64/float32 pandas column is a null; a
DataFrame index other than the default 0..n-1 becomes leading column(s), as `reset_index()` would make them.
"""

import array
import collections.abc
import datetime as _dt
import html
import importlib.util
import itertools
import json
import keyword
import re
import sys
import unicodedata

__all__ = ["Table", "Column", "TableError", "from_wire", "to_wire", "bind", "TYPES"]

WIRE_VERSION = 1
COMM_TARGET = "bento.table"

# type -> (memoryview/array format, item size, numpy dtype)
_FIXED = {
    "int8": ("b", 1, "<i1"),
    "int16": ("h", 2, "<i2"),
    "int32": ("i", 4, "<i4"),
    "int64": ("q", 8, "<i8"),
    "uint8": ("B", 1, "<u1"),
    "uint16": ("H", 2, "<u2"),
    "uint32": ("I", 4, "<u4"),
    "uint64": ("Q", 8, "<u8"),
    "float32": ("f", 4, "<f4"),
    "float64": ("d", 8, "<f8"),
    "bool": ("B", 1, "<u1"),
    "date": ("i", 4, "<i4"),
    "timestamp": ("q", 8, "<i8"),
}
TYPES = tuple(_FIXED) + ("string",)
_INTEGERS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_LITTLE = sys.byteorder == "little"

_EPOCH = _dt.datetime(1970, 1, 1)
_EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_MICROSECOND = _dt.timedelta(microseconds=1)
_MIN_DAY, _MAX_DAY = _dt.date.min.toordinal() - _EPOCH_ORDINAL, _dt.date.max.toordinal() - _EPOCH_ORDINAL
_MIN_MICROS = (_dt.datetime.min - _EPOCH) // _MICROSECOND
_MAX_MICROS = (_dt.datetime.max - _EPOCH) // _MICROSECOND
# pandas datetime64[ns] holds int64 nanoseconds; the smallest int64 is NaT.
_MIN_NS_MICROS, _MAX_NS_MICROS = -(2**63 - 1) // 1000 + 1, (2**63 - 1) // 1000


class TableError(ValueError):
    """A table could not be converted; the message says which column and why."""


# ---------------------------------------------------------------------------------------------------------
# Optional pandas


def _pandas():
    """(pandas, numpy) when pandas is importable here, else None. Never downloads anything."""
    if "pandas" not in sys.modules and importlib.util.find_spec("pandas") is None:
        return None
    try:
        import numpy
        import pandas
    except ImportError:
        return None
    return pandas, numpy


def _require_pandas(what):
    found = _pandas()
    if found is None:
        raise ImportError(
            f"{what} needs pandas, which is not installed in this Python. In the in-browser kernel, run "
            "`import pandas` in a cell first (it loads from the package index), then try again; elsewhere "
            "`pip install pandas`."
        )
    return found


# ---------------------------------------------------------------------------------------------------------
# Little helpers


def _view(buffer, fmt):
    """A memoryview of little-endian `buffer` as native items of `fmt` (a copy only on big-endian hosts)."""
    view = memoryview(buffer).cast("B")
    if _LITTLE or fmt in ("b", "B"):
        return view.cast(fmt)
    items = array.array(fmt)
    items.frombytes(view)
    items.byteswap()
    return memoryview(items)


def _le_bytes(view):
    """The little-endian bytes of a typed memoryview (no copy on little-endian hosts)."""
    if _LITTLE or view.itemsize == 1:
        return view.cast("B") if view.format != "B" else view
    items = array.array(view.format, view.tobytes())
    items.byteswap()
    return memoryview(items).cast("B")


def _null_rows(valid):
    """Row numbers whose mask byte is 0, found by C-speed scans."""
    find = valid.find
    i = find(0)
    while i != -1:
        yield i
        i = find(0, i + 1)


def _zone(name):
    """A tzinfo for a zone name: UTC and fixed offsets always, IANA names when the zone database is there
    (Pyodide ships without it: `import tzdata` in a cell loads it); None when it cannot be found."""
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC", "ETC/GMT", "UCT", "ZULU"):
        return _dt.timezone.utc
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", name)
    if m:
        delta = _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return _dt.timezone(-delta if m.group(1) == "-" else delta)
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(name)
    except Exception:
        return None


def _tz_name(tz, sample=None):
    """The name a tzinfo goes by: the IANA key where it has one, else UTC or a ±HH:MM offset."""
    for attr in ("key", "zone"):
        name = getattr(tz, attr, None)
        if isinstance(name, str) and name:
            return name
    if tz is _dt.timezone.utc:
        return "UTC"
    offset = tz.utcoffset(sample)
    if offset is None:
        raise TableError(f"cannot tell the offset of time zone {tz!r}")
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _check_name(name):
    """The variable name as Python code spells it (identifiers are NFKC-normalised), or TableError."""
    if not isinstance(name, str) or not name.isidentifier():
        raise TableError(f"{name!r} is not a valid Python variable name")
    if keyword.iskeyword(name):
        raise TableError(f"{name!r} is a Python keyword, not a variable name")
    return unicodedata.normalize("NFKC", name)


# ---------------------------------------------------------------------------------------------------------
# The table without pandas


class Column(collections.abc.Sequence):
    """One column of a `Table`: a read-only, list-like sequence of Python values (None for null).

    `len(col)`, `col[i]`, `col[a:b]` (a Column), iteration, `col.tolist()`, `col.nulls`, `col.type` (the table
    type name, e.g. 'int64'), `col.timezone` (timestamps), `col.to_pandas()`. Values are converted from the
    column's buffers when read, so a column of a million rows costs its bytes, not a million objects.
    """

    __slots__ = ("name", "type", "timezone", "source_type", "_data", "_valid", "_tz")

    def __init__(self, name, type, data, valid=None, timezone=None, source_type=None):
        self.name = name
        self.type = type
        self.timezone = timezone
        self.source_type = source_type
        self._data = data  # a typed memoryview for fixed-width types, a list (None for null) for strings
        self._valid = valid  # bytes-like, one byte per row (0: null), or None
        self._tz = None

    @property
    def dtype(self):
        return self.type

    @property
    def nulls(self):
        """How many values are null."""
        if self.type == "string":
            return self._data.count(None)
        return 0 if self._valid is None else self._valid.count(0)

    def __len__(self):
        return len(self._data)

    def _zoneinfo(self):
        if self._tz is None:
            self._tz = _zone(self.timezone) or _dt.timezone.utc
        return self._tz

    def _converter(self):
        t = self.type
        if t == "bool":
            return bool
        if t == "date":
            ordinal = _dt.date.fromordinal
            return lambda d: ordinal(_EPOCH_ORDINAL + d)
        if t == "timestamp":
            td = _dt.timedelta
            if not self.timezone:
                return lambda us: _EPOCH + td(microseconds=us)
            tz = self._zoneinfo()
            if tz is _dt.timezone.utc:
                return lambda us: _EPOCH_UTC + td(microseconds=us)
            return lambda us: (_EPOCH_UTC + td(microseconds=us)).astimezone(tz)
        return None

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return self.tolist()[index]
            valid = None if self._valid is None else self._valid[start:stop]
            return Column(self.name, self.type, self._data[start:stop], valid, self.timezone, self.source_type)
        n = len(self)
        i = index.__index__()
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"row {index} is out of range for a column of {n} rows")
        if self.type == "string":
            return self._data[i]
        if self._valid is not None and not self._valid[i]:
            return None
        convert = self._converter()
        value = self._data[i]
        return value if convert is None else convert(value)

    def tolist(self):
        """Every value as a Python list (None for null)."""
        if self.type == "string":
            return list(self._data)
        values = self._data.tolist()
        convert = self._converter()
        if convert is not None:
            values = list(map(convert, values))
        if self._valid is not None:
            for i in _null_rows(self._valid):
                values[i] = None
        return values

    def __iter__(self):
        chunk = 65536
        for start in range(0, len(self), chunk):
            yield from self[start : start + chunk].tolist()

    def __eq__(self, other):
        if isinstance(other, (Column, list, tuple)):
            return self.tolist() == list(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        n = len(self)
        if n <= 10:
            items = ", ".join(map(repr, self.tolist()))
        else:
            items = ", ".join(map(repr, self[:5].tolist())) + ", ..., " + ", ".join(map(repr, self[n - 5 :].tolist()))
        tz = f", {self.timezone}" if self.timezone else ""
        return f"Column({self.name!r}, {self.type}{tz}, {n} rows: [{items}])"

    def to_pandas(self):
        """This column as a `pandas.Series` (raises ImportError when pandas is not installed)."""
        pd, np = _require_pandas("Column.to_pandas()")
        return pd.Series(_pandas_array(pd, np, self._raw(copy=True), len(self)), name=self.name, copy=False)

    def _raw(self, copy=False):
        if self.type == "string":
            return _Raw(self.name, self.type, list(self._data) if copy else self._data, None, self.timezone, self.source_type)
        data = _le_bytes(self._data)
        valid = self._valid
        if copy:
            data = bytearray(data)
            valid = None if valid is None else bytearray(valid)
        return _Raw(self.name, self.type, data, valid, self.timezone, self.source_type)


class _Raw:
    """A column as it travels: little-endian bytes (or a list of str/None), a mask, and its schema."""

    __slots__ = ("name", "type", "data", "valid", "timezone", "source_type", "encoding")

    def __init__(self, name, type, data, valid=None, timezone=None, source_type=None, encoding=None):
        self.name, self.type, self.data, self.valid = name, type, data, valid
        self.timezone, self.source_type, self.encoding = timezone, source_type, encoding


_MAX_ROWS_SHOWN = 20  # longer tables show their first and last _EDGE_ROWS rows
_EDGE_ROWS = 5
_MAX_CELL = 40


def _cell_text(value):
    if value is None:
        return "None"
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    text = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "\u2026"


class Table:
    """A table injected by Bento Lite into a Python without pandas (or built with `Table.from_dict`).

    `t.columns` (names), `len(t)`, `t.shape`, `t.dtypes`, `t['x']` (a list-like Column), `t[['x', 'y']]` and
    `t[a:b]` (tables), iteration over rows as tuples, `t.row(i)`, `t.head(n)`, `t.tail(n)`, `t.to_dict()`,
    `t.to_pandas()`. Prints as a text table and shows as HTML in a notebook.
    """

    def __init__(self, columns, num_rows=None):
        columns = list(columns)
        if num_rows is None:
            num_rows = len(columns[0]) if columns else 0
        names = set()
        for column in columns:
            if not isinstance(column, Column):
                raise TypeError(f"a Table is made of Column objects, not {type(column).__name__}")
            if column.name in names:
                raise TableError(f"column {column.name!r} appears twice; column names must be unique")
            names.add(column.name)
            if len(column) != num_rows:
                raise TableError(f"column {column.name!r} has {len(column)} rows, the table {num_rows}")
        self._columns = columns
        self._by_name = {c.name: c for c in columns}
        self._num_rows = num_rows

    @classmethod
    def from_dict(cls, data, types=None):
        """A table from {name: values}. Types are inferred (bool, int64, float64, string, date, timestamp)
        unless `types` names them, e.g. {'n': 'int32'}. None is null."""
        types = dict(types or {})
        columns = [_column_from_values(str(name), list(values), types.pop(name, None)) for name, values in data.items()]
        if types:
            raise TableError(f"types names columns the data does not have: {', '.join(map(repr, types))}")
        return cls(columns)

    @property
    def columns(self):
        """The column names, in order."""
        return [c.name for c in self._columns]

    @property
    def dtypes(self):
        """{name: table type}, e.g. {'id': 'int64', 'name': 'string'}."""
        return {c.name: c.type for c in self._columns}

    @property
    def shape(self):
        return (self._num_rows, len(self._columns))

    def __len__(self):
        return self._num_rows

    def __contains__(self, name):
        return name in self._by_name

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return self._by_name[key]
            except KeyError:
                raise KeyError(f"no column {key!r}; the columns are {', '.join(map(repr, self.columns))}") from None
        if isinstance(key, slice):
            return Table([c[key] for c in self._columns]) if self._columns else Table([], len(range(*key.indices(len(self)))))
        if isinstance(key, (list, tuple)):
            return Table([self[name] for name in key], self._num_rows)
        raise TypeError(f"index a Table with a column name, a list of names or a slice of rows (for row {key!r}: t.row({key!r}))")

    def row(self, index):
        """Row `index` as a tuple."""
        n = self._num_rows
        i = index.__index__()
        if not -n <= i < n:
            raise IndexError(f"row {index} is out of range for a table of {n} rows")
        return tuple(c[i] for c in self._columns)

    def __iter__(self):
        chunk = 65536
        for start in range(0, self._num_rows, chunk):
            yield from zip(*(c[start : start + chunk].tolist() for c in self._columns))

    def head(self, n=5):
        return self[: max(n, 0)]

    def tail(self, n=5):
        return self[max(self._num_rows - max(n, 0), 0) :]

    def to_dict(self):
        """{name: list of values}."""
        return {c.name: c.tolist() for c in self._columns}

    def to_pandas(self):
        """This table as a `pandas.DataFrame` (raises ImportError when pandas is not installed)."""
        pd, np = _require_pandas("Table.to_pandas()")
        return _dataframe(pd, np, [c._raw(copy=True) for c in self._columns], self._num_rows)

    def _shown_rows(self):
        """(row numbers, rows) to show; None in the numbers marks the gap of a long table."""
        n = self._num_rows
        if n <= _MAX_ROWS_SHOWN:
            return list(range(n)), list(self)
        head, tail = list(self.head(_EDGE_ROWS)), list(self.tail(_EDGE_ROWS))
        return list(range(_EDGE_ROWS)) + [None] + list(range(n - _EDGE_ROWS, n)), head + [None] + tail

    def _footer(self):
        return f"[{self._num_rows} rows x {len(self._columns)} columns]"

    def __repr__(self):
        if not self._columns:
            return f"Empty Table\n{self._footer()}"
        numbers, rows = self._shown_rows()
        lines = [[""] + self.columns]
        for number, row in zip(numbers, rows):
            lines.append(["..."] * (len(self._columns) + 1) if row is None else [str(number)] + [_cell_text(v) for v in row])
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
        left = [False] + [c.type in ("string", "date", "timestamp") for c in self._columns]
        out = []
        for line in lines:
            cells = [cell.ljust(w) if l else cell.rjust(w) for cell, w, l in zip(line, widths, left)]
            out.append("  ".join(cells).rstrip())
        out.append("")
        out.append(self._footer())
        return "\n".join(out)

    def _repr_html_(self):
        esc = html.escape
        numbers, rows = self._shown_rows()
        head = "".join(f'<th title="{esc(c.type)}">{esc(c.name)}</th>' for c in self._columns)
        body = []
        for number, row in zip(numbers, rows):
            if row is None:
                cells = "".join("<td>&hellip;</td>" for _ in range(len(self._columns) + 1))
            else:
                cells = f"<th>{number}</th>" + "".join(f"<td>{esc(_cell_text(v))}</td>" for v in row)
            body.append(f"<tr>{cells}</tr>")
        return (
            '<div class="bento-table"><table class="dataframe">'
            f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<p>{self._num_rows} rows \u00d7 {len(self._columns)} columns</p></div>"
        )


def _infer_type(name, values):
    kinds = set()
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, int):
            kinds.add("int64")
        elif isinstance(v, float):
            kinds.add("float64")
        elif isinstance(v, str):
            kinds.add("string")
        elif isinstance(v, _dt.datetime):
            kinds.add("timestamp")
        elif isinstance(v, _dt.date):
            kinds.add("date")
        else:
            raise TableError(f"column {name!r} holds a {type(v).__name__}, which a table cannot carry")
    if not kinds:
        return "string"
    if kinds == {"int64", "float64"}:
        return "float64"
    if len(kinds) > 1:
        raise TableError(f"column {name!r} mixes {' and '.join(sorted(kinds))} values")
    return kinds.pop()


def _column_from_values(name, values, type_=None):
    type_ = type_ or _infer_type(name, values)
    if type_ not in TYPES:
        raise TableError(f"column {name!r}: unknown type {type_!r}; the types are {', '.join(TYPES)}")
    n = len(values)
    valid = None
    if any(v is None for v in values):
        valid = bytearray(b"\x01") * n
        for i, v in enumerate(values):
            if v is None:
                valid[i] = 0
    if type_ == "string":
        for v in values:
            if v is not None and not isinstance(v, str):
                raise TableError(f"column {name!r} (string) holds a {type(v).__name__}")
        return Column(name, type_, list(values))
    timezone = None
    if type_ == "date":
        items = [0 if v is None else (v.date() if isinstance(v, _dt.datetime) else v).toordinal() - _EPOCH_ORDINAL for v in values]
    elif type_ == "timestamp":
        aware = {v.tzinfo is not None and v.utcoffset() is not None for v in values if v is not None}
        if len(aware) > 1:
            raise TableError(f"column {name!r} mixes naive and timezone-aware datetimes")
        if aware == {True}:
            first = next(v for v in values if v is not None)
            timezone = _tz_name(first.tzinfo, first)
            items = [0 if v is None else (v - _EPOCH_UTC) // _MICROSECOND for v in values]
        else:
            items = [0 if v is None else (v - _EPOCH) // _MICROSECOND for v in values]
    elif type_ == "bool":
        items = [1 if v else 0 for v in values]
    elif type_ in ("float32", "float64"):
        items = [0.0 if v is None else float(v) for v in values]
    else:
        items = [0 if v is None else v for v in values]
    fmt = _FIXED[type_][0]
    try:
        data = memoryview(array.array(fmt, items))
    except (OverflowError, TypeError) as exc:
        raise TableError(f"column {name!r} ({type_}): {exc}") from None
    return Column(name, type_, data, valid, timezone)


# ---------------------------------------------------------------------------------------------------------
# From the wire


def _decode_strings(name, n, text, separator, offsets):
    """A list of str from separator-joined UTF-8 (decoded once, split in C) or from bytes and offsets."""
    if separator is not None:
        if not isinstance(separator, int) or not 0 <= separator < 128:
            raise TableError(f"column {name!r}: separator {separator!r} is not an ASCII byte")
        try:
            decoded = bytes(text).decode("utf-8") if not isinstance(text, (bytes, bytearray)) else text.decode("utf-8")
        except UnicodeDecodeError as exc:
            row = bytes(text[: exc.start]).count(separator)
            raise TableError(f"column {name!r}, row {row}: the text is not valid UTF-8") from None
        if n == 0:
            if decoded:
                raise TableError(f"column {name!r}: text arrived for no rows")
            return []
        items = decoded.split(chr(separator))
        if len(items) != n:
            raise TableError(f"column {name!r}: {len(items)} strings arrived for {n} rows")
        return items
    if offsets is None:
        raise TableError(f"column {name!r}: strings arrived with neither a separator nor offsets")
    bounds = _view(offsets, "i").tolist()
    if len(bounds) != n + 1 or bounds[0] != 0 or bounds[-1] != len(text):
        raise TableError(f"column {name!r}: its offsets do not cover its text")
    view = memoryview(text).cast("B")
    items = []
    for row in range(n):
        start, end = bounds[row], bounds[row + 1]
        if end < start:
            raise TableError(f"column {name!r}, row {row}: its offsets are not in ascending order")
        try:
            items.append(str(view[start:end], "utf-8"))
        except UnicodeDecodeError:
            raise TableError(f"column {name!r}, row {row}: the text is not valid UTF-8") from None
    return items


def _raw_columns(header, buffers):
    """Checked `_Raw` columns from a wire header and its buffers (each exactly the bytes the header says)."""
    if not isinstance(header, dict) or header.get("version") != WIRE_VERSION:
        raise TableError(f"this kernel reads table format {WIRE_VERSION}; got {header.get('version') if isinstance(header, dict) else header!r}")
    n = header.get("numRows")
    if not isinstance(n, int) or n < 0:
        raise TableError(f"a table's row count must be a whole number, not {n!r}")
    specs = header.get("columns")
    if not isinstance(specs, list):
        raise TableError("a table needs a list of columns")
    raws, names = [], set()
    for spec in specs:
        name, type_ = spec.get("name"), spec.get("type")
        if not isinstance(name, str):
            raise TableError(f"a column name must be a string, not {name!r}")
        if name in names:
            raise TableError(f"column {name!r} appears twice; column names must be unique")
        names.add(name)
        if type_ not in TYPES:
            raise TableError(f"column {name!r} has an unknown type {type_!r}")

        def buffer(key, size=None):
            index = spec.get(key)
            if index is None:
                return None
            if not isinstance(index, int) or not 0 <= index < len(buffers):
                raise TableError(f"column {name!r}: its {key} buffer is missing")
            data = buffers[index]
            if size is not None and len(data) != size:
                raise TableError(f"column {name!r}: its {key} has {len(data)} bytes; {n} rows need {size}")
            return data

        valid = buffer("valid", n)
        if type_ == "string":
            data = _decode_strings(name, n, buffer("values"), spec.get("separator"), buffer("offsets", 4 * (n + 1)))
            if valid is not None:
                for i in _null_rows(valid):
                    data[i] = None
            if spec.get("encoding") == "json":
                data = _decode_json(name, data)
        else:
            data = buffer("values", n * _FIXED[type_][1])
            if data is None:
                raise TableError(f"column {name!r}: its values are missing")
        timezone = spec.get("timezone") or None
        if timezone is not None and type_ != "timestamp":
            timezone = None
        raws.append(_Raw(name, type_, data, valid, timezone, spec.get("sourceType"), spec.get("encoding")))
    return raws, n


def _decode_json(name, items):
    out = []
    for row, text in enumerate(items):
        try:
            out.append(None if text is None else json.loads(text))
        except ValueError:
            raise TableError(f"column {name!r}, row {row}: the text is not JSON") from None
    return out


def _table(raws, n):
    columns = []
    for raw in raws:
        data = raw.data if raw.type == "string" else _view(raw.data, _FIXED[raw.type][0])
        columns.append(Column(raw.name, raw.type, data, raw.valid, raw.timezone, raw.source_type))
    return Table(columns, n)


def _pandas_array(pd, np, raw, n):
    """A numpy or pandas array for one column; `raw.data` must be writable (it is used in place)."""
    t = raw.type
    mask = None if raw.valid is None else np.frombuffer(raw.valid, dtype=np.uint8) == 0
    if t == "string":
        values = np.empty(n, dtype=object)
        if raw.encoding == "json":
            for i, value in enumerate(raw.data):  # a slice assignment would broadcast lists of equal length
                values[i] = value
        else:
            values[:] = raw.data
        return values
    dtype = np.dtype(_FIXED[t][2])
    values = np.frombuffer(raw.data, dtype=dtype)
    if not dtype.isnative:
        values = values.astype(dtype.newbyteorder("="))
    if t in _INTEGERS:
        return values if mask is None else pd.arrays.IntegerArray(values, mask)
    if t in ("float32", "float64"):
        if mask is not None and mask.any():
            values[mask] = np.nan
        return values
    if t == "bool":
        values = values != 0
        return values if mask is None else pd.arrays.BooleanArray(values, mask)
    valid_values = values if mask is None else values[~mask]
    lo, hi = (int(valid_values.min()), int(valid_values.max())) if len(valid_values) else (0, 0)
    if t == "date":
        if lo < _MIN_DAY or hi > _MAX_DAY:
            raise TableError(f"column {raw.name!r}: a date is outside the years 1 to 9999")
        out = values.astype("datetime64[D]").astype(object)
        if mask is not None:
            out[mask] = None
        return out
    # timestamp
    if lo < _MIN_MICROS or hi > _MAX_MICROS:
        raise TableError(f"column {raw.name!r}: a timestamp is outside the years 1 to 9999")
    if lo < _MIN_NS_MICROS or hi > _MAX_NS_MICROS:
        # Beyond datetime64[ns] (years 1677-2262): Python datetimes in an object column instead.
        column = Column(raw.name, t, _view(raw.data, "q"), raw.valid, raw.timezone)
        out = np.empty(n, dtype=object)
        out[:] = column.tolist()
        return out
    ns = values * 1000
    if mask is not None:
        ns[mask] = np.iinfo(np.int64).min  # NaT
    stamps = pd.DatetimeIndex(ns.view("datetime64[ns]"))
    if raw.timezone:
        try:
            stamps = stamps.tz_localize("UTC").tz_convert(raw.timezone)
        except Exception as exc:
            raise TableError(f"column {raw.name!r}: unknown time zone {raw.timezone!r} ({exc})") from None
    return stamps


def _dataframe(pd, np, raws, n):
    arrays = {raw.name: _pandas_array(pd, np, raw, n) for raw in raws}
    if not arrays:
        return pd.DataFrame(index=pd.RangeIndex(n))
    return pd.DataFrame(arrays, index=pd.RangeIndex(n))


def from_wire(header, buffers):
    """The value a wire table becomes: a DataFrame when pandas is importable, else a Table. `buffers` must be
    writable bytes-like objects (bytearray) this function may keep and modify."""
    raws, n = _raw_columns(header, buffers)
    if header.get("value"):
        if n != 1 or len(raws) != 1 or raws[0].encoding != "json":
            raise TableError("a value arrives as one row of one JSON column")
        return raws[0].data[0]
    found = _pandas()
    if found is None:
        return _table(raws, n)
    pd, np = found
    return _dataframe(pd, np, raws, n)


def bind(namespace, name, header, buffers):
    """Converts a wire table completely, then binds it to `name` in `namespace`. On any failure nothing is
    bound: the previous value of `name`, if any, stays."""
    name = _check_name(name)
    value = from_wire(header, buffers)
    namespace[name] = value
    return value


# ---------------------------------------------------------------------------------------------------------
# To the wire


def _encode_strings(name, items):
    """(text, separator, offsets, valid) for a list of str/None."""
    n = len(items)
    valid = None
    if None in items:
        valid = bytearray(b"\x01") * n
        items = list(items)
        for i, v in enumerate(items):
            if v is None:
                valid[i] = 0
                items[i] = ""
    try:
        joined = "\x00".join(items)
    except TypeError:
        bad = next(v for v in items if not isinstance(v, str))
        raise TableError(f"column {name!r} (string) holds a {type(bad).__name__}") from None
    if n == 0 or joined.count("\x00") == n - 1:
        return joined.encode("utf-8", "surrogatepass"), 0, None, valid
    encoded = [s.encode("utf-8", "surrogatepass") for s in items]
    offsets = array.array("i", [0])
    offsets.extend(itertools.accumulate(map(len, encoded)))
    return b"".join(encoded), None, _le_bytes(memoryview(offsets)), valid


def _raw_to_wire(raw, n, header_columns, buffers):
    def add(data):
        buffers.append(data)
        return len(buffers) - 1

    spec = {"name": raw.name, "type": raw.type, "nullable": raw.valid is not None}
    if raw.timezone:
        spec["timezone"] = raw.timezone
    if raw.source_type:
        spec["sourceType"] = raw.source_type
    if raw.type == "string":
        text, separator, offsets, valid = _encode_strings(raw.name, raw.data)
        spec["values"] = add(text)
        if separator is not None:
            spec["separator"] = separator
        else:
            spec["offsets"] = add(offsets)
        if valid is not None:
            spec["valid"] = add(valid)
            spec["nullable"] = True
    else:
        spec["values"] = add(raw.data)
        if raw.valid is not None:
            spec["valid"] = add(raw.valid)
    header_columns.append(spec)


def _series_raw(pd, np, name, series):
    """A `_Raw` column from a pandas Series, by dtype."""
    dtype = series.dtype
    source_type = str(dtype)
    isna = series.isna().to_numpy(dtype=bool)
    valid = None if not isna.any() else (~isna).astype(np.uint8)
    api = pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        raw = _series_raw(pd, np, name, series.astype(object))
        raw.source_type = source_type
        return raw
    if api.is_datetime64_any_dtype(dtype):
        timezone = None
        tz = getattr(dtype, "tz", None)
        if tz is not None:
            timezone = _tz_name(tz)
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        micros = series.to_numpy(dtype="datetime64[us]").view("<i8").copy()
        micros[isna] = 0
        return _Raw(name, "timestamp", memoryview(micros).cast("B"), valid, timezone, source_type)
    if api.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=bool, na_value=False).astype(np.uint8)
        return _Raw(name, "bool", memoryview(values).cast("B"), valid, None, source_type)
    if api.is_integer_dtype(dtype):
        np_dtype = np.dtype(getattr(dtype, "numpy_dtype", dtype))
        type_ = f"{'u' if np_dtype.kind == 'u' else ''}int{np_dtype.itemsize * 8}"
        values = series.to_numpy(dtype=np_dtype.newbyteorder("<"), na_value=0)  # a null's slot holds 0
        return _Raw(name, type_, memoryview(np.ascontiguousarray(values)).cast("B"), valid, None, source_type)
    if api.is_float_dtype(dtype):
        np_dtype = np.dtype(getattr(dtype, "numpy_dtype", dtype))
        type_ = "float32" if np_dtype.itemsize <= 4 else "float64"
        values = series.to_numpy(dtype="<f4" if type_ == "float32" else "<f8", na_value=0.0, copy=True)
        values[isna] = 0.0  # NaN is a null here, as in pyarrow's from_pandas; a null's slot holds 0
        return _Raw(name, type_, memoryview(np.ascontiguousarray(values)).cast("B"), valid, None, source_type)
    if api.is_string_dtype(dtype) or dtype == object:
        return _object_raw(pd, np, name, series, isna, valid, source_type)
    raise TableError(
        f"column {name!r} has dtype {dtype}, which a table cannot carry; convert it first, "
        f"e.g. df[{name!r}] = df[{name!r}].astype(str)"
    )


def _object_raw(pd, np, name, series, isna, valid, source_type):
    kind = pd.api.types.infer_dtype(series, skipna=True)
    values = series.to_numpy(dtype=object)
    if kind in ("string", "empty"):
        items = values.tolist()
        if valid is not None:
            for i in np.flatnonzero(isna).tolist():
                items[i] = None
        return _Raw(name, "string", items, None, None, source_type)
    present = [v for v, missing in zip(values.tolist(), isna.tolist()) if not missing]
    filled = [None if missing else v for v, missing in zip(values.tolist(), isna.tolist())]
    if kind == "boolean":
        column = _column_from_values(name, filled, "bool")
    elif kind == "integer":
        type_ = "int64" if all(-(2**63) <= v < 2**63 for v in present) else "uint64"
        column = _column_from_values(name, filled, type_)
    elif kind in ("floating", "mixed-integer-float", "decimal"):
        column = _column_from_values(name, [None if v is None or v != v else float(v) for v in filled], "float64")
    elif kind == "date":
        column = _column_from_values(name, filled, "date")
    elif kind in ("datetime", "datetime64"):
        stamps = [v if v is None or isinstance(v, _dt.datetime) else pd.Timestamp(v).to_pydatetime() for v in filled]
        column = _column_from_values(name, stamps, "timestamp")
    else:
        raise TableError(
            f"column {name!r} holds {kind} values, which a table cannot carry; convert it first, "
            f"e.g. df[{name!r}] = df[{name!r}].astype(str)"
        )
    raw = column._raw()
    raw.source_type = source_type
    return raw


def _dataframe_raws(pd, np, df):
    index = df.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        try:
            df = df.reset_index()
        except ValueError as exc:
            raise TableError(f"cannot turn the index into columns: {exc}") from None
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise TableError(f"column names must be unique; {', '.join(map(repr, dupes))} appear more than once")
    return [_series_raw(pd, np, name, df.iloc[:, i]) for i, name in enumerate(names)], len(df)


def to_wire(value):
    """(header, buffers) for a DataFrame, a Series or a Table. Raises TableError for anything else."""
    if isinstance(value, Table):
        raws, n = [c._raw() for c in value._columns], len(value)
    else:
        found = _pandas() if "pandas" in sys.modules else None
        if found is not None and isinstance(value, found[0].Series):
            value = value.to_frame(name=str(value.name) if value.name is not None else "values")
        if found is not None and isinstance(value, found[0].DataFrame):
            raws, n = _dataframe_raws(found[0], found[1], value)
        else:
            raise TableError(
                f"it is a {type(value).__module__}.{type(value).__qualname__}, not a table: extract takes a "
                "pandas DataFrame (or Series) or a Bento table"
            )
    header_columns, buffers = [], []
    for raw in raws:
        _raw_to_wire(raw, n, header_columns, buffers)
    return {"version": WIRE_VERSION, "numRows": n, "columns": header_columns}, buffers


def lookup(namespace, name, as_value=False):
    """The table bound to `name`, as (header, buffers); TableError when it is missing or not a table. With
    `as_value`: any JSON-able value, as one JSON cell."""
    name = _check_name(name)
    if name not in namespace:
        raise TableError(f"there is no variable {name!r} in this kernel")
    if not as_value:
        return to_wire(namespace[name])
    text = _json_text(name, namespace[name])
    raw = _Raw(name, "string", [text])
    columns, buffers = [], []
    _raw_to_wire(raw, 1, columns, buffers)
    columns[0]["encoding"] = "json"
    return {"version": WIRE_VERSION, "numRows": 1, "columns": columns, "value": True}, buffers


def _json_default(value):
    """What json.dumps cannot write itself: numpy scalars and arrays, dates and times."""
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    for method in ("item", "tolist"):  # numpy scalars, numpy arrays
        if callable(getattr(value, method, None)) and type(value).__module__.startswith("numpy"):
            return getattr(value, method)()
    raise TypeError(f"a {type(value).__module__}.{type(value).__qualname__}")


def _json_text(name, value):
    try:
        return json.dumps(value, default=_json_default, allow_nan=False)
    except (TypeError, ValueError) as exc:
        what = f"holds {exc}" if str(exc).startswith("a ") else f"is not JSON ({exc})"
        raise TableError(f"{name!r} {what}; a value sent from Python is str, int, float, bool, None, list or dict") from None


# ---------------------------------------------------------------------------------------------------------
# Remote kernels: a comm target, registered by a silent execution of this module's source


def _user_namespace():
    from IPython import get_ipython

    return get_ipython().user_ns


class _Incoming:
    """An injection arriving in pieces: comm_open carries the header and the first pieces, comm_msgs the rest.
    Each buffer is preallocated and each piece copied into place once."""

    def __init__(self, comm, data):
        self.comm = comm
        self.name = data.get("name")
        self.header = data.get("header")
        sizes = data.get("sizes") or []
        if not all(isinstance(s, int) and s >= 0 for s in sizes):
            raise TableError("buffer sizes must be whole numbers")
        self.buffers = [bytearray(s) for s in sizes]
        self.done = False

    def add(self, pieces, buffers):
        if len(pieces or []) != len(buffers):
            raise TableError(f"{len(pieces or [])} pieces were announced, {len(buffers)} arrived")
        for (index, offset), piece in zip(pieces, buffers):
            piece = memoryview(piece).cast("B")
            target = self.buffers[index]
            if offset < 0 or offset + len(piece) > len(target):
                raise TableError(f"a piece of buffer {index} does not fit it")
            target[offset : offset + len(piece)] = piece


def _reply_error(comm, exc):
    message = str(exc) if isinstance(exc, TableError) else f"{type(exc).__name__}: {exc}"
    comm.send({"status": "error", "message": message})
    comm.close()


def _on_comm_open(comm, msg):
    data = msg["content"].get("data") or {}
    buffers = msg.get("buffers") or []
    op = data.get("op")
    if op == "extract":
        try:
            header, out = lookup(_user_namespace(), data.get("name"), bool(data.get("value")))
            comm.send({"status": "ok", "header": header}, buffers=[memoryview(b).cast("B") for b in out])
            comm.close()
        except Exception as exc:
            _reply_error(comm, exc)
        return
    if op != "inject":
        _reply_error(comm, TableError(f"unknown table operation {op!r}"))
        return
    try:
        _check_name(data.get("name"))  # before the data: a bad name is refused without waiting for it
        incoming = _Incoming(comm, data)
        incoming.add(data.get("pieces"), buffers)
    except Exception as exc:
        _reply_error(comm, exc)
        return

    def finish():
        try:
            bind(_user_namespace(), incoming.name, incoming.header, incoming.buffers)
        except Exception as exc:
            _reply_error(comm, exc)
            return
        comm.send({"status": "ok"})
        comm.close()

    def on_msg(message):
        if incoming.done:
            return
        try:
            part = message["content"].get("data") or {}
            incoming.add(part.get("pieces"), message.get("buffers") or [])
        except Exception as exc:
            incoming.done = True
            _reply_error(comm, exc)
            return
        if part.get("done"):
            incoming.done = True
            finish()

    if data.get("done"):
        incoming.done = True
        finish()
    else:
        comm.on_msg(on_msg)


def register_comm_target():
    """Registers the `bento.table` comm target with this IPython kernel (again after a restart)."""
    from IPython import get_ipython

    shell = get_ipython()
    manager = getattr(getattr(shell, "kernel", None), "comm_manager", None)
    if manager is None:
        import comm as comm_package  # ipykernel >= 6.18 moved comms to the `comm` package

        manager = comm_package.get_comm_manager()
    manager.register_target(COMM_TARGET, _on_comm_open)
