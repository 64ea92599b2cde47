"""Built rule bases through the cache on disk (esgcheck.diskcache).

Building a rule base type-checks every rule's expressions and generates its
filing types' code; a warm run needs only what running takes. So once a rule
base is built, this keeps, under a key of every file of the rule base (but its
test cases), the schemas of its filing types, the user's configuration of it,
the names it is shown by, and (through ``diskcache.key``) esgcheck's version
and source and Python's: its reference data, its rules' metadata (the
validated rule models) and, per filing type, the generated functions' code
objects with their namespace (engine.described). Reading that back builds the
same rule base without parsing, type-checking or emitting anything: the key
proves the files built cleanly before. A rule's expressions are type-checked
only when something asks for them (why-not, rule tests; see
rbtyping.LazyTyping).

The traced functions (evidence, proofs) are compiled on demand, as before,
one expression at a time; each one compiled is kept too (``TracedStore``,
written when the process ends), so that the next run of a rule that fires
reads it back instead of type-checking the rule again.

Nothing here fails a run: a rule base that cannot be described, a damaged or
foreign entry, a folder that cannot be written cost only the building.
"""

from __future__ import annotations

import atexit
import builtins
import functools
import hashlib
import json
import re
import threading
from collections.abc import Callable
from types import FunctionType
from typing import TYPE_CHECKING, Any

from esgcheck import diskcache
from esgcheck.engine import described
from esgcheck.engine.filing_types import Registry
from esgcheck.engine.model import RuleBaseMeta
from esgcheck.engine.rulebase import (
    META_FILE,
    Built,
    CheckGroup,
    CompiledRule,
    Source,
    TypeRules,
)

if TYPE_CHECKING:
    from esgcheck.engine.expr.compiler import FactSig
    from esgcheck.engine.rbtyping import LazyTyping

KIND = "rulebases"
TRACED = "traced"
_FORMAT = "builtcache 1"
_FUNCTION = re.compile(r"f[0-9]+")
_RULE_FIELDS = ("spec", "file", "line", "filing_type", "section", "slots", "at", "facts_read",
                "functions", "reads_as_of", "order")


def entry_key(loader: Source, meta: RuleBaseMeta) -> str | None:
    """The key of the rule base ``loader`` reads; None when a file cannot be read."""
    digest = diskcache.tree_digest(loader.folder, skip=("tests",))
    if digest is None or diskcache.folder() is None:
        return None
    parts = [digest, loader.name(loader.folder / META_FILE)]
    try:
        for type_id in meta.filing_types:
            ft = loader.registry.get(type_id)
            schema = b"" if ft is None else ft.path.read_bytes()
            parts += [type_id, hashlib.sha256(schema).hexdigest()]
        given = loader.overrides
        parts.append("" if given is None else json.dumps(
            [given.config, given.data], sort_keys=True, default=repr))
    except (OSError, TypeError, ValueError):
        return None
    return diskcache.key(KIND, *parts)


def find(loader: Source, meta: RuleBaseMeta) -> tuple[str, object] | None:
    """The key and stored entry of the rule base, or None."""
    key = entry_key(loader, meta)
    if key is None:
        return None
    stored = diskcache.load(KIND, key)
    return None if stored is None else (key, stored)


def restore(found: tuple[str, object], meta: RuleBaseMeta, registry: Registry,
            config: dict[str, Any]) -> Built | None:
    """The rule base built from a stored entry; None when the entry does not
    read back (then it is built from its files)."""
    key, stored = found
    try:
        value = described.restore(stored)
        form, tables, calendars, types, rules = value
        if form != _FORMAT:
            return None
        return _built(key, meta, registry, config, tables, calendars, types, rules)
    except Exception:  # a damaged or foreign entry, whatever is wrong with it
        return None


def _built(key: str, meta: RuleBaseMeta, registry: Registry, config: dict[str, Any],
           tables: dict[str, Any], calendars: dict[str, Any], types: list[Any],
           rules: list[tuple[Any, ...]]) -> Built:
    store = TracedStore(key)
    lazy: dict[str, LazyTyping] = {}
    by_id: dict[str, CompiledRule] = {}
    compiled: list[CompiledRule] = []

    for fields in rules:
        values = dict(zip(("entity", *_RULE_FIELDS), fields, strict=True))
        ft = registry.get(values["filing_type"])
        assert ft is not None
        values["entity"] = ft.entities[values["entity"]]
        rule = CompiledRule(rulebase_id=meta.id, traced=store, **values)
        type_id = rule.filing_type
        rule.typing = lambda r, t=type_id: typing(t).typed(r)
        by_id[rule.id] = rule
        compiled.append(rule)

    def typing(type_id: str) -> LazyTyping:
        found = lazy.get(type_id)
        if found is None:
            from esgcheck.engine.rbtyping import LazyTyping

            ft = registry.get(type_id)
            assert ft is not None
            found = lazy[type_id] = LazyTyping(
                meta, ft, tables, calendars, config,
                [r for r in compiled if r.filing_type == type_id])
        return found

    by_type: dict[str, TypeRules] = {}
    for type_id, derive, check, codes, ns, derive_fns, groups in types:
        functions = _functions(codes, ns)
        out = TypeRules(derive=[by_id[i] for i in derive], check=[by_id[i] for i in check],
                        typing=functools.partial(_facts, typing, type_id))
        for rule, n in zip(out.derive, derive_fns, strict=True):
            rule.derive_all = functions[n]
        ft = registry.get(type_id)
        assert ft is not None
        out.check_groups = [CheckGroup(ft.entities[entity], [by_id[i] for i in ids],
                                       functions[n]) for entity, ids, n in groups]
        by_type[type_id] = out
    return Built(compiled, by_type, tables, calendars)


def _facts(typing: Callable[[str], LazyTyping], type_id: str) -> dict[str, FactSig]:
    return typing(type_id).facts()


def _functions(codes: tuple[tuple[str, Any], ...], ns: dict[str, Any]
               ) -> list[Callable[..., Any]]:
    """The generated functions, each in the namespace they share (as ``exec``
    of their module would have made them)."""
    ns["__builtins__"] = builtins
    out: list[Callable[..., Any]] = []
    for name, code in codes:
        fn = ns[name] = FunctionType(code, ns, name)
        out.append(fn)
    return out


def keep(loader: Source, meta: RuleBaseMeta, built: Built) -> None:
    """Store ``built`` (just built from the files ``loader`` read) for later
    runs, and keep the traced functions its rules compile."""
    key = entry_key(loader, meta)
    if key is None:
        return
    store = TracedStore(key)
    for rule in built.rules:
        rule.traced = store
    try:
        rules = [(r.entity.name, *(getattr(r, f) for f in _RULE_FIELDS)) for r in built.rules]
        types = [_type_entry(type_id, rules_of) for type_id, rules_of in built.by_type.items()]
        value = described.describe((_FORMAT, built.tables, built.calendars, types, rules))
    except described.NotDescribable:
        return
    diskcache.store(KIND, key, value)


def _type_entry(type_id: str, out: TypeRules) -> tuple[Any, ...]:
    fns: list[Callable[..., Any]] = [r.derive_all for r in out.derive if r.derive_all]
    fns += [g.run for g in out.check_groups]
    if not fns:
        return (type_id, (), (), (), {}, (), ())
    ns = fns[0].__globals__
    codes: list[tuple[str, Any]] = []
    number: dict[int, int] = {}
    for name, fn in ns.items():
        if _FUNCTION.fullmatch(name) and isinstance(fn, FunctionType):
            if fn.__globals__ is not ns or fn.__closure__ or fn.__defaults__ or (
                    fn.__kwdefaults__):
                raise described.NotDescribable(f"{type_id}: function {name}")
            number[id(fn)] = len(codes)
            codes.append((name, fn.__code__))
    if any(id(fn) not in number for fn in fns):
        raise described.NotDescribable(f"{type_id}: a function of another namespace")
    plain = {k: v for k, v in ns.items() if k != "__builtins__" and not (
        _FUNCTION.fullmatch(k) and isinstance(v, FunctionType))}
    return (type_id, tuple(r.id for r in out.derive), tuple(r.id for r in out.check),
            tuple(codes), plain, tuple(number[id(r.derive_all)] for r in out.derive),
            tuple((g.entity.name, tuple(r.id for r in g.rules), number[id(g.run)])
                  for g in out.check_groups))


# ---------------------------------------------------------------- traced functions

_PENDING: list[TracedStore] = []
_LOCK = threading.Lock()


class TracedStore:
    """The traced functions of one built rule base's expressions, by rule id and
    expression ("when", "body", "param:NAME"): read from the cache when first
    asked for; those compiled in this process are added when it ends."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.stored: dict[str, Any] | None = None
        self.new: dict[str, Any] = {}
        # the folder its entry is read from; one that changed since (another
        # ESGCHECK_CACHE_DIR in the same process) is not written to
        self.folder = diskcache.folder()

    def _entries(self) -> dict[str, Any]:
        if self.stored is None:
            found = diskcache.load(TRACED, self.key)
            self.stored = {}
            if isinstance(found, tuple) and len(found) == 2 and found[0] == _FORMAT and (
                    isinstance(found[1], dict)):
                self.stored = found[1]
        return self.stored

    def get(self, rule: str, key: str) -> Callable[[Any], Any] | None:
        entry = self._entries().get(f"{rule}\0{key}")
        if entry is None:
            return None
        try:
            name, code, ns = entry
            return _functions(((name, code),), described.restore(ns))[0]
        except Exception:  # a damaged entry: the function is compiled instead
            return None

    def add(self, rule: str, key: str, fn: Callable[[Any], Any]) -> None:
        if not isinstance(fn, FunctionType) or fn.__closure__ or fn.__defaults__:
            return
        ns = {k: v for k, v in fn.__globals__.items() if k != "__builtins__" and v is not fn}
        try:
            plain = described.describe(ns)
        except described.NotDescribable:
            return
        with _LOCK:
            if not _PENDING:
                atexit.register(_write_pending)
            if self not in _PENDING:
                _PENDING.append(self)
            self.new[f"{rule}\0{key}"] = (fn.__name__, fn.__code__, plain)

    def write(self) -> None:
        if self.new and diskcache.folder() == self.folder:
            merged = {**self._entries(), **self.new}
            if diskcache.store(TRACED, self.key, (_FORMAT, merged)):
                self.stored, self.new = merged, {}


def _write_pending() -> None:
    with _LOCK:
        for store in _PENDING:
            store.write()
        _PENDING.clear()
