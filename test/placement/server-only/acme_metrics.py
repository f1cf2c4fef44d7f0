"""A stand-in for a company's own library: it exists only on the server. The test runner puts this folder on the
Jupyter kernels' PYTHONPATH (web-test-runner.config.mjs); the browser's Python has no such module and no
package index offers one, which is what the placement tests need."""

import pandas as pd

VERSION = "1.0"


def summarise(df):
    """The mean of every numeric column per city: one row per city, in city order, `city` as a column."""
    return df.groupby("city", as_index=False).mean(numeric_only=True)


class Report:
    """A result object of the library: it pickles on the server, and cannot be unpickled where acme_metrics is missing."""

    def __init__(self, title, table):
        self.title = title
        self.table = table

    def __repr__(self):
        return f"Report({self.title!r}, {len(self.table)} rows)"
