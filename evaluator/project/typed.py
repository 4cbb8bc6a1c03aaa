"""Strict conversion between the project's dataclasses and their JSON form.

``to_json`` writes a dataclass tree as plain JSON values (``None`` fields dropped, non-finite floats as
``None`` inside lists, numpy scalars as Python numbers). ``from_json`` reads it back into the declared
types and refuses what does not fit: an unknown key, a missing required key, or a value of the wrong
shape raises :class:`~evaluator.errors.ManifestError` naming where it is (``line 7: fit: ...``).

>>> from dataclasses import dataclass
>>> @dataclass
... class P:
...     x: float
...     tags: tuple[str, ...] = ()
>>> from_json(P, {"x": 1, "tags": ["a"]}, "p")
P(x=1.0, tags=('a',))
>>> from_json(P, {"x": 1, "y": 2}, "p")
Traceback (most recent call last):
...
evaluator.errors.ManifestError: p: unknown key 'y' (expected x, tags)
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any

from evaluator.errors import ManifestError
from evaluator.fileio import json_safe


def to_json(obj: Any) -> Any:
    """A dataclass tree as JSON values; ``None`` dataclass fields are dropped."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in dataclasses.fields(obj):
            value = to_json(getattr(obj, f.name))
            if value is not None:
                out[f.name] = value
        return out
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    return json_safe(obj)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_json(cls: type, data: Any, where: str) -> Any:
    """Build ``cls`` (a dataclass) from its JSON form; see the module docstring."""
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected an object, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise ManifestError(f"{where}: unknown key {unknown[0]!r} (expected {', '.join(fields)})")
    hints = _hints(cls)
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ManifestError(f"{where}: missing key {name!r}")
            continue
        kwargs[name] = _convert(hints[name], data[name], f"{where}: {name}")
    return cls(**kwargs)


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return None
            raise ManifestError(f"{where}: must not be null")
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(arg, value, where)
            except ManifestError as exc:
                errors.append(exc)
        raise errors[0]
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        return from_json(tp, value, where)
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ManifestError(f"{where}: expected a list, got {type(value).__name__}")
        item = args[0] if args else Any
        items = [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ManifestError(f"{where}: expected an object, got {type(value).__name__}")
        vt = args[1] if len(args) == 2 else Any
        return {str(k): _convert(vt, v, f"{where}.{k}") for k, v in value.items()}
    if origin is typing.Literal:
        if value not in args:
            raise ManifestError(f"{where}: {value!r} is not one of {', '.join(map(repr, args))}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ManifestError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ManifestError(f"{where}: expected a whole number, got {value!r}")
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise ManifestError(f"{where}: expected {tp.__name__}, got {value!r}")
        return value
    return value
