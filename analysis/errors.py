"""Errors the user can fix.

The command line prints a ``KitError`` as one line and exits with code 2; anything
else is a bug in the kit and keeps its traceback.
"""

from __future__ import annotations

from analysis.vocab import text

__all__ = ["KitError", "InputError", "ParamsError"]


class KitError(Exception):
    """A problem with the user's input, parameters or command line."""


class InputError(KitError):
    """Bad input data, located as precisely as we can: file, row, column.

    Examples
    --------
    >>> str(InputError("日期无法解析", file="orders.csv", row=12, column="下单日期"))
    'orders.csv 第12行 列「下单日期」: 日期无法解析'
    """

    def __init__(self, message: str, *, file=None, row=None, column=None):
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(text("errors.where.row", row=self.row))
        if self.column:
            where.append(text("errors.where.column", column=self.column))
        return f"{' '.join(where)}: {self.message}" if where else self.message


class ParamsError(KitError):
    """An unknown or malformed parameter."""
