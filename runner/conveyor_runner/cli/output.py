"""Output helpers shared by the command modules: tables, JSON and error messages."""

from __future__ import annotations

import json
import sys


class CliError(Exception):
    """A failure to report to the user as one line (no traceback); exit code 1."""


def fail(message: str) -> int:
    """Print ``error: <message>`` to stderr and return exit code 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1


def print_json(value: object) -> None:
    """Pretty-print a JSON value to stdout."""
    print(json.dumps(value, indent=2, sort_keys=True, default=str))


def print_table(rows: list[dict], columns: list[str]) -> None:
    """Print rows as aligned columns (header first); prints ``(none)`` for no rows."""
    if not rows:
        print("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))
