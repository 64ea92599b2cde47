"""Values as plain data ``marshal`` holds, and back: what the cache of built
rule bases (engine.builtcache) keeps of the generated code's namespaces, the
reference data and the rules' metadata.

``describe`` writes a value as nested tuples of strings, numbers and code
objects; ``restore`` builds an equal value from them. A value is written

* as itself when marshal holds it and it is immutable (text, numbers, bytes,
  None, code objects);
* by where it lives when it is a global of a module (a function, a class, a
  sentinel such as MISSING, the run's limits): read back it is that very
  object, as the generated code needs (it compares some with ``is``, and reads
  settings the checker changes while it runs). A function that is not a
  module's global but is held by one (a built-in function's ``fn`` in the
  table of built-ins) is written by the path from that global;
* as a container of described items (tuples, lists, sets, dictionaries);
* else by its class and state as ``copy`` and ``pickle`` take them apart
  (``__reduce_ex__``), rebuilt only with a class of esgcheck, of a few modules
  of the standard library (decimal, datetime, re, regex) or pydantic's models.

A value met twice is written once and is one object when read back (the
memo, as pickle's). Nothing is ever imported or called that is outside those
modules: a damaged entry fails to restore (``NotRestorable``), it does not run
anything else. A value this cannot write raises ``NotDescribable``: the
caller then keeps nothing.
"""

from __future__ import annotations

import copyreg
import importlib
import sys
from functools import lru_cache
from types import BuiltinFunctionType, CodeType, FunctionType, MethodType, ModuleType
from typing import Any

_ATOMS = (str, int, float, complex, bool, bytes, type(None), CodeType)
# modules whose classes may be rebuilt and whose globals may be named
_MODULES = ("esgcheck.", "decimal", "datetime", "re", "regex", "_regex", "builtins",
            "copyreg", "pydantic.main", "_decimal", "_datetime", "fractions")
_NEWOBJ = copyreg.__newobj__  # type: ignore[attr-defined]  # not in the module's stubs
_BUILD = frozenset({("copyreg", "__newobj__"), ("copyreg", "_reconstructor"),
                    ("re", "_compile"), ("regex.regex", "_compile"), ("regex", "_compile")})


class NotDescribable(ValueError):
    """A value ``describe`` cannot write."""


class NotRestorable(ValueError):
    """A description ``restore`` cannot read (damaged, or of other code)."""


def _allowed(module: str) -> bool:
    return any(module == m or module.startswith(m) if m.endswith(".") else module == m
               for m in _MODULES)


class _Globals:
    """Where the globals of the loaded modules of esgcheck live, by identity,
    and the functions one step inside them."""

    def __init__(self) -> None:
        self.where: dict[int, tuple[Any, ...]] = {}
        inner: dict[int, tuple[Any, ...]] = {}
        for name, module in sorted(sys.modules.items()):
            if not (name.startswith("esgcheck.") and isinstance(module, ModuleType)):
                continue
            for attr, value in sorted(vars(module).items()):
                if isinstance(value, ModuleType) or attr.startswith("__"):
                    continue
                own = getattr(value, "__module__", name) == name
                if id(value) not in self.where or own:
                    self.where[id(value)] = ("g", name, ("a", attr))
                for step, item in _inside(value):
                    for step2, fn in [(None, item), *_inside(item)]:
                        if isinstance(fn, FunctionType):
                            steps = (step,) if step2 is None else (step, step2)
                            inner.setdefault(id(fn), ("g", name, ("a", attr), *steps))
        for key, where in inner.items():
            self.where.setdefault(key, where)


def _index(fresh: bool = False) -> _Globals:
    """The index of the loaded modules' globals, read once per process (about
    10 ms, and every traced rule is described when it is first kept) and again
    when a module of esgcheck was loaded since or ``fresh`` is asked for. Every
    place found in it is checked against the value before it is written (see
    ``_Describer.where``)."""
    if fresh:
        _index_of.cache_clear()
    return _index_of(tuple(sorted(n for n in list(sys.modules) if n.startswith("esgcheck."))))


@lru_cache(maxsize=1)
def _index_of(loaded: tuple[str, ...]) -> _Globals:
    """The index, for the esgcheck modules ``loaded`` (the key only)."""
    return _Globals()


def _inside(value: Any) -> list[tuple[tuple[str, Any], Any]]:
    """The items of a container, or the attributes of an object, with the step
    that reaches each (("i", key) or ("a", name))."""
    if isinstance(value, dict):
        return [(("i", k), v) for k, v in value.items() if isinstance(k, str | int)]
    if isinstance(value, list | tuple):
        return [(("i", n), v) for n, v in enumerate(value)]
    if isinstance(value, type | FunctionType | ModuleType):
        return []
    attrs = getattr(value, "__dict__", None)
    if isinstance(attrs, dict):
        return [(("a", k), v) for k, v in attrs.items()]
    return []


def describe(value: Any) -> Any:
    """``value`` as plain data (see the module's notes)."""
    return _Describer().go(value)


class _Describer:
    def __init__(self) -> None:
        self.memo: dict[int, int] = {}
        self.keep: list[Any] = []  # what the memo names, alive while describing
        self.globals: _Globals | None = None

    def where(self, value: Any) -> tuple[Any, ...] | None:
        if self.globals is None:
            self.globals = _index()
        found = self.globals.where.get(id(value))
        if found is not None and not _still(found, value):
            # a global rebound, or its old object gone and its id reused:
            # the index is read again, once for this description
            self.globals = _index(fresh=True)
            found = self.globals.where.get(id(value))
        return found

    def go(self, value: Any) -> Any:
        cls = value.__class__
        if cls in _ATOMS:
            return value
        n = self.memo.get(id(value))
        if n is not None:
            return ("r", n)
        return self.fresh(value, cls)

    def remember(self, value: Any) -> int:
        n = self.memo[id(value)] = len(self.keep)
        self.keep.append(value)
        return n

    def fresh(self, value: Any, cls: type) -> Any:
        where = self.where(value)
        if where is not None:
            return ("=", self.remember(value), *where)
        if isinstance(value, type) or cls is FunctionType:
            return ("=", self.remember(value), *self.named(value))
        if cls is BuiltinFunctionType and isinstance(value.__self__, ModuleType | type(None)):
            return ("=", self.remember(value), *self.named(value))
        if cls is MethodType or cls is BuiltinFunctionType:  # bound to an object
            n = self.remember(value)
            return ("m", n, self.go(value.__self__), value.__name__)
        if cls.__name__ in ("method_descriptor", "wrapper_descriptor", "getset_descriptor"):
            return ("=", self.remember(value), *self.named(value.__objclass__),
                    ("a", value.__name__))
        if cls.__name__ == "Pattern" and cls.__module__ in ("re", "_regex"):
            module = "re" if cls.__module__ == "re" else "regex"
            return ("p", self.remember(value), module, value.pattern, value.flags)
        if cls is tuple:
            items = tuple(self.go(v) for v in value)
            if id(value) in self.memo:  # (a tuple that holds itself: not kept)
                raise NotDescribable("a tuple within itself")
            return ("t", self.remember(value), items)
        if cls is frozenset:
            items = tuple(self.go(v) for v in value)
            return ("f", self.remember(value), items)
        if cls is list:
            n = self.remember(value)
            return ("l", n, tuple(self.go(v) for v in value))
        if cls is set:
            n = self.remember(value)
            return ("s", n, tuple(self.go(v) for v in value))
        if cls is dict:
            n = self.remember(value)
            return ("d", n, tuple(self.go(k) for k in value), tuple(self.go(v) for v in
                                                                    value.values()))
        return self.reduced(value, cls)

    def named(self, value: Any) -> tuple[Any, ...]:
        module = getattr(value, "__module__", None)
        qualname = getattr(value, "__qualname__", None)
        if not (isinstance(module, str) and isinstance(qualname, str) and _allowed(module)):
            raise NotDescribable(f"{value!r}: not a global of a known module")
        found: Any = sys.modules.get(module)
        for part in qualname.split("."):
            found = getattr(found, part, None)
        if found is not value:
            raise NotDescribable(f"{value!r}: not found by its name")
        return ("g", module, *(("a", p) for p in qualname.split(".")))

    def reduced(self, value: Any, cls: type) -> Any:
        if not _allowed(cls.__module__):
            raise NotDescribable(f"{cls.__module__}.{cls.__qualname__}: not a known class")
        try:
            parts = value.__reduce_ex__(4)
        except Exception as exc:  # whatever refuses to be taken apart is not kept
            raise NotDescribable(str(exc)) from None
        if isinstance(parts, str) or not 2 <= len(parts) <= 6:
            raise NotDescribable(f"{cls.__qualname__}: reduced to {parts!r}")
        fn, args, state, items, pairs = (*parts, None, None, None, None)[:5]
        n = self.remember(value)
        build = self.go(fn)
        return ("o", n, build, self.go(args), self.go(state),
                None if items is None else tuple(self.go(v) for v in items),
                None if pairs is None else tuple((self.go(k), self.go(v)) for k, v in pairs))


def restore(tree: Any) -> Any:
    """The value ``tree`` describes (a new one, but for module globals)."""
    try:
        return _Restorer().go(tree)
    except NotRestorable:
        raise
    except Exception as exc:  # a damaged or foreign description, whatever it holds
        raise NotRestorable(f"{type(exc).__name__}: {exc}") from None


class _Restorer:
    def __init__(self) -> None:
        self.memo: dict[int, Any] = {}

    def go(self, tree: Any) -> Any:
        if tree.__class__ is not tuple:
            if tree.__class__ in _ATOMS:
                return tree
            raise NotRestorable(f"not a description: {type(tree).__name__}")
        tag = tree[0]
        if tag == "r":
            return self.memo[tree[1]]
        n = tree[1]
        out: Any
        if tag == "=":
            out = self.memo[n] = _global(tree[2:])
        elif tag == "t":
            out = self.memo[n] = tuple(self.go(v) for v in tree[2])
        elif tag == "f":
            out = self.memo[n] = frozenset(self.go(v) for v in tree[2])
        elif tag == "l":
            out = self.memo[n] = []
            out.extend(self.go(v) for v in tree[2])
        elif tag == "s":
            out = self.memo[n] = set()
            out.update(self.go(v) for v in tree[2])
        elif tag == "d":
            out = self.memo[n] = {}
            for k, v in zip(tree[2], tree[3], strict=True):
                key = self.go(k)
                out[key] = self.go(v)
        elif tag == "m":
            owner = self.go(tree[2])
            out = self.memo[n] = getattr(owner, tree[3])
        elif tag == "p":
            if tree[2] not in ("re", "regex"):
                raise NotRestorable(f"patterns of {tree[2]!r}")
            out = self.memo[n] = importlib.import_module(tree[2]).compile(tree[3], tree[4])
        elif tag == "o":
            out = self.rebuilt(tree)
        else:
            raise NotRestorable(f"unknown tag {tag!r}")
        return out

    def rebuilt(self, tree: tuple[Any, ...]) -> Any:
        _, n, build, args, state, items, pairs = tree
        fn = self.go(build)
        if isinstance(fn, type):
            if not _allowed(fn.__module__):
                raise NotRestorable(f"class {fn.__qualname__} is not rebuilt")
        elif (getattr(fn, "__module__", None), getattr(fn, "__name__", None)) not in _BUILD:
            raise NotRestorable(f"{fn!r} is not called")
        arguments = self.go(args)
        if fn is _NEWOBJ and not (isinstance(arguments[0], type)
                                             and _allowed(arguments[0].__module__)):
            raise NotRestorable("a class of an unknown module")
        out = self.memo[n] = fn(*arguments)
        if state is not None:
            value = self.go(state)
            setstate = getattr(out, "__setstate__", None)
            if setstate is not None:
                setstate(value)
            else:
                slots = None
                if isinstance(value, tuple) and len(value) == 2:
                    value, slots = value
                if value:
                    out.__dict__.update(value)
                for k, v in (slots or {}).items():
                    object.__setattr__(out, k, v)
        for v in items or ():
            out.append(self.go(v))
        for k, v in pairs or ():
            out[self.go(k)] = self.go(v)
        return out


def _still(where: tuple[Any, ...], value: Any) -> bool:
    """Whether ``where`` still leads to ``value`` (a global rebound, or an item
    of a global dictionary removed since the index was read, does not)."""
    try:
        return _global(where) is value
    except Exception:  # whatever the place has become, it is not the value's
        return False


def _global(where: tuple[Any, ...]) -> Any:
    tag, module, *steps = where
    if tag != "g" or not _allowed(module):
        raise NotRestorable(f"not a global of a known module: {module!r}")
    found: Any = importlib.import_module(module)
    for kind, key in steps:
        found = getattr(found, key) if kind == "a" else found[key]
    return found
