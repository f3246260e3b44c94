"""Rules and policy files: read and checked when a process starts, never at its first request.

Each service owns one TOML file and one parser for it (its schema: keys, types, ranges). This
reads the file and turns every way it can be wrong into one error naming the file, the key
and the problem, so a broken file stops the web process and the worker at start, with a
message an operator can act on, rather than passing /readyz and failing the first command.
"""

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class RulesFileError(RuntimeError):
    """A rules or policy file the service cannot run with; the message says where and why."""


def read_rules_file(path: str | Path, parse: Callable[[dict], T]) -> T:
    """`parse(the file's TOML)`, or a RulesFileError naming `path` and what is wrong."""
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise RulesFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesFileError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return parse(raw)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise RulesFileError(f"{path}: {exc}") from exc
