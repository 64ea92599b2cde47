"""What is wrong with a file a user or a rule author wrote, said plainly.

The loaders of waivers, rules configurations, baselines and rule bases check
what they read against pydantic models. pydantic's own messages name its
types ("Input should be a valid dictionary or instance of WaiverEntry") and
end with a link; these functions say instead which key is wrong, what it
holds and what was expected, in English and Chinese, and suggest the key that
was meant when an unknown key is close to a known one.

YAML also turns some plain scalars into Python values as it reads them (dates,
integers); a scalar that looks like one but is not (``2030-13-01``, an integer
of 5,000 digits) fails there without a position. ``bad_scalar`` finds it again
with its line.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation can hold (through Optional, list, dict)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    if origin in (list, tuple, dict, typing.Literal) or origin is not None:
        return [m for arg in typing.get_args(annotation)[-1:] for m in _unwrap(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that holds the value at ``loc`` (the last part of ``loc`` is
    the key inside it), or None when the path leaves the models."""
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = _field(current, part)
        if field is None:
            return None
        found = _unwrap(field.annotation)
        current = found[0] if found else None
    return current


def _field(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if (field.alias or name) == key or name == key:
            return field
    return None


def keys_of(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def did_you_mean(word: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def describe(error: ErrorDetails, model: type[BaseModel] | None = None) -> str:
    """One pydantic error as ``where: what (en) / what (zh)``."""
    loc: Loc = tuple(p for p in error["loc"] if isinstance(p, str | int))
    where = ".".join(str(p) for p in loc) or "(top level)"
    key = str(loc[-1]) if loc else ""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")
    holder = model_at(model, loc) if model is not None and loc else None
    if kind == "extra_forbidden":
        known = keys_of(holder) if holder is not None else []
        guess = did_you_mean(key, known)
        hint_en = f"; did you mean '{guess}'?" if guess else ""
        hint_zh = f"；是否应为“{guess}”" if guess else ""
        allowed = f" (keys: {', '.join(known)})" if known else ""
        return (f"{where}: unknown key '{key}'{hint_en}{allowed} / "
                f"未知的键“{key}”{hint_zh}")
    if kind == "json_invalid":
        return f"{error['msg']} / 不是有效的 JSON"
    if kind == "missing":
        return f"{where}: '{key}' is required but missing / 缺少必填项“{key}”"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        if n == 1:
            return f"{where}: must not be empty / 不能为空"
        return (f"{where}: needs at least {n} characters, has {len(str(value))} / "
                f"至少需要 {n} 个字符，实有 {len(str(value))} 个")
    if kind == "string_pattern_mismatch":
        return (f"{where}: {_shown(value)} does not have the expected form "
                f"({ctx.get('pattern')}) / {_shown(value)} 的格式不符")
    if kind.startswith("date") or kind.startswith("datetime"):
        return (f"{where}: {_shown(value)} is not a date (YYYY-MM-DD) / "
                f"{_shown(value)} 不是有效日期（YYYY-MM-DD）")
    if kind == "too_short":
        return (f"{where}: needs at least {ctx.get('min_length', 1)} entry / "
                f"至少需要 {ctx.get('min_length', 1)} 项")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{where}: expected a mapping of keys, found {_shown(value)} / 应为键值映射"
    if kind == "list_type":
        return f"{where}: expected a list, found {_shown(value)} / 应为列表"
    expected = {"string_type": ("text", "文本"), "int_type": ("a whole number", "整数"),
                "int_parsing": ("a whole number", "整数"), "bool_type": ("true or false", "布尔值"),
                "bool_parsing": ("true or false", "布尔值"),
                "float_type": ("a number", "数字"), "float_parsing": ("a number", "数字"),
                "decimal_type": ("a number", "数字"), "decimal_parsing": ("a number", "数字")}
    if kind in expected:
        en, zh = expected[kind]
        return f"{where}: expected {en}, found {_shown(value)} / 应为{zh}，实为 {_shown(value)}"
    if kind == "literal_error":
        return (f"{where}: {_shown(value)} is not one of {ctx.get('expected')} / "
                f"{_shown(value)} 不在允许的取值中（{ctx.get('expected')}）")
    if kind == "value_error":
        reason = str(ctx.get("error", error["msg"]))
        return f"{where}: {reason}"
    return f"{where}: {error['msg']} (found {_shown(value)})"


def ordered(errors: Sequence[ErrorDetails]) -> list[ErrorDetails]:
    """The errors with an unknown key before a missing one: ``filing:`` where
    ``filings:`` was meant is said once, as the unknown key it is."""
    return sorted(errors, key=lambda e: e["type"] != "extra_forbidden")


def bad_scalar(text: str) -> tuple[int | None, str] | None:
    """The first plain scalar that YAML resolves to a date, number or other
    value but cannot build (``2030-13-01``, an integer of 5,000 digits): its line
    and what is wrong. None when no scalar is at fault."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    stack: list[yaml.Node] = [root] if root is not None else []
    seen: set[int] = set()
    constructor = yaml.SafeLoader("")
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node, deep=True)
            except (ValueError, OverflowError, yaml.YAMLError) as exc:
                line = node.start_mark.line + 1
                digits = sum(c.isdigit() for c in node.value)
                if node.tag.endswith(":int") and digits > 4000:
                    return line, (f"an integer of {digits} digits; at most 4000 are read / "
                                  f"整数有 {digits} 位，最多读取 4000 位")
                reason = str(exc).split(";")[0]
                return line, (f"{_shown(node.value)} cannot be read as {_kind(node.tag)}: "
                              f"{reason} / {_shown(node.value)} 无法读取")
        elif isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                stack.extend((v, k))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def _kind(tag: str) -> str:
    name = tag.rsplit(":", 1)[-1]
    return {"timestamp": "a date (YYYY-MM-DD)", "int": "an integer",
            "float": "a number"}.get(name, name)


def json_beyond_limits(text: str, max_depth: int = 500, max_digits: int = 4000
                       ) -> tuple[int, int, str] | None:
    """Where a JSON text nests deeper than ``max_depth`` or holds a number of
    more than ``max_digits`` digits (which Python's parser refuses without a
    position): line, column and what is wrong; None when it does neither."""
    depth = line = 1
    line_start = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch in "[{":
            depth += 1
            if depth > max_depth + 1:
                return line, i - line_start + 1, (f"nested more than {max_depth} levels deep / "
                                                  f"嵌套超过 {max_depth} 层")
        elif ch in "]}":
            depth -= 1
        elif ch == "\n":
            line += 1
            line_start = i + 1
        elif ch.isdigit():
            start = i
            while i < n and text[i].isdigit():
                i += 1
            if i - start > max_digits:
                return line, start - line_start + 1, (
                    f"a number of {i - start} digits; at most {max_digits} are read / "
                    f"数字有 {i - start} 位，最多读取 {max_digits} 位")
            continue
        i += 1
    return None
