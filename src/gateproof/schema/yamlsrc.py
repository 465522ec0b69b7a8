"""Read one YAML source file into plain Python data, remembering the line of every value.

PyYAML's own composer resolves every scalar through Python regexes and makes a node object per
value, which costs over a second for a 10,000-model source. Here the C parser's events are turned
into dicts and lists directly, resolving plain scalars through the same YAML 1.1 table as
``yaml.SafeLoader`` (so values come out exactly as SafeLoader would give them), and recording
line numbers on the side: ``YamlDoc.line(path)`` answers for any dotted path into the data.

Everything that can go wrong with the file itself (too big, not UTF-8, bad YAML, empty, not a
mapping, duplicate keys, unsupported tags, alias bombs) becomes a finding ``file:line: message``;
all duplicate keys of a file are reported together.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import dataclasses
import datetime
import functools
import gc
import hashlib
import re
import sys
import zlib
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from gateproof.errors import ConfigError

MAX_SOURCE_BYTES = 32 * 1024 * 1024  # 50,000 models take ~10 MB; far past that, a wrong file
MAX_DEPTH = 64
EAGER_LINES_BYTES = 256 * 1024  # smaller files get their line tables while parsed
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = Resolver.yaml_implicit_resolvers
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_TAGGED = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
    _STR,
}
_constructor = SafeConstructor()
_VALUE_EVENTS = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.AliasEvent)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Building a hundred thousand small objects triggers full garbage collections that cost
    a fifth of the time; nothing built here forms cycles, so collection can wait."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@functools.cache
def _freeze_at_exit() -> None:
    """Parsed files stay cached until the process ends, and the interpreter's last garbage
    collections walk every object left: about a second for a 10,000-model config. None of
    them forms a cycle, so at exit they are moved out of the collector's sight (gc.freeze)
    instead; a pytest run inside a longer-lived process is unaffected until that one ends."""
    atexit.register(gc.freeze)


F = TypeVar("F", bound=Callable[..., Any])


def without_gc(func: F) -> F:
    """Decorator form of gc_paused for the checks that walk every model."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with gc_paused():
            return func(*args, **kwargs)

    return cast(F, wrapper)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass
class YamlDoc:
    """The data of one file plus the line of each mapping key and list item in it.

    A large file's line tables are built on the first lookup, from its text, beside a second
    copy of the data they describe: a healthy 10,000-model config asks for a handful of lines,
    and the tables would cost more memory than the data."""

    path: Path
    data: Any
    digest: str = ""  # sha256 of the file's bytes
    # id(container in the lined tree) -> [line of the container, line of each key or item in
    # insertion order]: an int array, not a dict of int objects
    lines: dict[int, array.array[int]] = field(default_factory=dict, repr=False)

    _name: str = field(default="", repr=False)
    # id(large mapping) -> {key: position}, built on the first lookup into it
    _positions: dict[int, dict[Hashable, int]] = field(default_factory=dict, repr=False)
    # the text, zlib-packed (a tenth of its size), while the tables are not built
    _packed: bytes | None = field(default=None, repr=False)
    _tree: Any = field(default=None, repr=False)  # the data ``lines`` describe, when not ``data``
    _spent: int = field(default=0, repr=False)  # values counted against the alias budget
    _body_digest: str | None = field(default=None, repr=False)  # sha256 past leading comments

    @property
    def name(self) -> str:
        """The path as shown in findings (computed once: resolving paths is slow)."""
        if not self._name:
            self._name = display_path(self.path)
        return self._name

    def line(self, path: Sequence[Hashable]) -> int:
        """The line of the deepest element of ``path`` that exists (1 when nothing matches)."""
        node: Any = self._lined()
        line = 1
        for step in path:
            if not isinstance(node, (dict, list)):
                break
            own = self.lines.get(id(node))
            if own is None:
                break
            key: Hashable = step
            if isinstance(node, list):
                if isinstance(step, str) and step.isdigit():
                    key = int(step)
                if not isinstance(key, int) or not 0 <= key < len(node):
                    continue  # e.g. a pydantic union tag inside the location: skip it
                position = key
            else:
                try:
                    if key not in node:
                        continue
                except TypeError:  # an unhashable step
                    continue
                position = self._position(node, key)
            if position + 1 >= len(own):
                continue  # added after parsing (the data is meant to be read-only)
            line = own[position + 1]
            node = node[position] if isinstance(node, list) else node[key]
        return line

    def _lined(self) -> Any:
        """The data the line tables describe, building them first if not yet done."""
        if self._packed is None:
            return self.data if self._tree is None else self._tree
        lined = YamlDoc(self.path, None)
        builder = _Builder(lined, self.name, budget=sys.maxsize, track=True)
        with gc_paused():  # the text parsed once already: no error can come up here
            builder.run(zlib.decompress(self._packed).decode("utf-8"))
        # new objects, not updates: a copy made by dataclasses.replace keeps a matching pair
        self.lines, self._tree, self._positions, self._packed = lined.lines, lined.data, {}, None
        return self._tree

    def _position(self, node: dict[Hashable, Any], key: Hashable) -> int:
        """Where ``key`` (present) sits in the insertion order of ``node``."""
        if len(node) <= 16:
            return next(i for i, k in enumerate(node) if k is key or k == key)
        index = self._positions.get(id(node))
        if index is None:
            index = self._positions[id(node)] = {k: i for i, k in enumerate(node)}
        return index[key]

    def where(self, path: Sequence[Hashable]) -> str:
        return f"{self.name}:{self.line(path)}"


_PARSED: dict[tuple[str, int, bool], YamlDoc] = {}
_PARSED_KEEP = 8


def load_yaml(path: Path, max_bytes: int = MAX_SOURCE_BYTES, allow_empty: bool = False) -> YamlDoc:
    """Parse ``path``; raise ConfigError with every problem of the file itself.

    ``allow_empty``: a file without any data (only comments) reads as ``{}``. The few most
    recent results are kept by content (sha256): the predeploy checks read the same files,
    and copies of them, several times, and a 10,000-model file takes a second to parse.
    Treat the data as read-only."""
    try:
        if path.stat().st_size > max_bytes:
            return _load_yaml(path, max_bytes, allow_empty)  # refused without reading it
        raw = path.read_bytes()
    except OSError:
        return _load_yaml(path, max_bytes, allow_empty)
    key = (hashlib.sha256(raw).hexdigest(), max_bytes, allow_empty)
    doc = _PARSED.get(key)
    if doc is None:
        doc = _same_body(path, raw, key) or _load_yaml(path, max_bytes, allow_empty)
        while len(_PARSED) >= _PARSED_KEEP:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = doc
    return doc if doc.path == path else dataclasses.replace(doc, path=path, _name="")


# Lines a YAML parser reads as nothing at the top of a file: comments and blank lines, in
# plain ASCII (other characters may be line breaks or refused by the parser).
_HEADER = re.compile(rb"(?:#[\t\x20-\x7e]*)?\r?\n")


def _same_body(path: Path, raw: bytes, key: tuple[str, int, bool]) -> YamlDoc | None:
    """A large file that differs from a cached one only in its leading comments (two
    generated versions: their header names the version) has the same data: share it (read
    only) instead of parsing 2 MB again; its own text, packed, gives its own line numbers."""
    if len(raw) <= EAGER_LINES_BYTES:
        return None  # small files carry line tables that belong to their own data
    digest = hashlib.sha256(raw[_body_start(raw) :]).hexdigest()
    for other_key, other in _PARSED.items():
        if other_key[1:] != key[1:] or other._body_digest != digest:
            continue
        if other._spent > len(raw) + 10_000:
            return None  # this file's alias budget is smaller: let the parser judge
        text = _decode(raw, display_path(path))
        doc = YamlDoc(path=path, data=other.data, digest=key[0])
        doc._packed = zlib.compress(text.encode("utf-8"), 1)
        doc._spent, doc._body_digest = other._spent, other._body_digest
        return doc
    return None


def _body_start(raw: bytes) -> int:
    """Offset of the first line that is not a comment or blank."""
    position = 0
    while match := _HEADER.match(raw, position):
        position = match.end()
    return position


def _load_yaml(path: Path, max_bytes: int, allow_empty: bool) -> YamlDoc:
    name = display_path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ConfigError(
                [
                    f"{name}:1: file is {size / 1e6:.1f} MB; sources are read up to "
                    f"{max_bytes / 1e6:.1f} MB (is this the right file?)"
                ]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{name}:1: cannot read: {exc.strerror or exc}"]) from None
    text = _decode(raw, name)
    _freeze_at_exit()
    doc = YamlDoc(path=path, data=None, digest=hashlib.sha256(raw).hexdigest())
    eager = len(raw) <= EAGER_LINES_BYTES
    builder = _Builder(doc, name, budget=len(raw) + 10_000, track=eager)
    try:
        with gc_paused():
            builder.run(text)
            if builder.findings and not eager:  # they name lines: parse again with the tables
                doc = YamlDoc(path=path, data=None, digest=doc.digest)
                builder = _Builder(doc, name, budget=len(raw) + 10_000, track=True)
                builder.run(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        column = f" (column {mark.column + 1})" if mark is not None else ""
        lines = text.splitlines()
        hint = _hint(what, lines[line - 1] if line <= len(lines) else "")
        raise ConfigError([f"{name}:{line}: not valid YAML{column}: {what}{hint}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{name}:1: not valid YAML: {exc}"]) from None
    if builder.findings:
        raise ConfigError(builder.findings)
    if doc.data is None and allow_empty:
        doc.data = {}
    if doc.data is None:
        raise ConfigError([f"{name}:1: file is empty; expected a mapping of settings"])
    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else f"a single value ({doc.data!r:.40})"
        raise ConfigError([f"{name}:1: the top level is {kind}; expected a mapping (key: value)"])
    if not eager:
        doc._packed = zlib.compress(text.encode("utf-8"), 1)
        doc._spent = len(raw) + 10_000 - builder.budget
        doc._body_digest = hashlib.sha256(raw[_body_start(raw) :]).hexdigest()
    return doc


# What the parser's wording usually means in a hand-edited config, and the fix.
TAB_HINT = "indent with spaces; YAML does not accept tabs for indentation"
_HINTS = (
    ("tab character", TAB_HINT),
    (
        "mapping values are not allowed",
        "a value that contains ': ' must be quoted (name: \"llama3: 8b\"), or this line is "
        "indented deeper than the key above it",
    ),
    ("expected <block end>", "this line is indented differently from its siblings above"),
    ("could not find expected ':'", "a key is missing its ':' or a quote is not closed"),
    ("found undefined alias", "an *alias is used before its &anchor"),
)


def _hint(what: str, line: str) -> str:
    if "\t" in line[: len(line) - len(line.lstrip())]:
        return f"; {TAB_HINT}"
    return next((f"; {hint}" for key, hint in _HINTS if key in what), "")


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise ConfigError(
            [f"{name}:{line}: not UTF-8: byte 0x{byte} at offset {exc.start}; save it as UTF-8"]
        ) from None


class _Builder:
    """Turns parser events into Python data; containers are filled as their events arrive."""

    def __init__(self, doc: YamlDoc, name: str, budget: int, track: bool = True):
        self.doc = doc
        self.track = track  # record lines (YamlDoc.lines) as the containers are built
        self.name = name
        self.budget = budget  # values left before aliases count as a bomb
        self.findings: list[str] = []
        self.anchors: dict[str, Any] = {}
        self.open_anchors: set[str] = set()

    def run(self, text: str) -> None:
        loader = _Loader(text)
        try:  # (run under gc_paused by the caller: building many objects triggers full GCs)
            documents = 0
            while loader.check_event():
                event = loader.get_event()
                if isinstance(event, yaml.DocumentStartEvent):
                    documents += 1
                    if documents > 1:
                        line = _line(event)
                        self.findings.append(f"{self.name}:{line}: more than one YAML document")
                        return
                elif isinstance(event, _VALUE_EVENTS):
                    self.doc.data = self._value(loader, event, depth=0)
        finally:
            loader.dispose()

    def _value(self, loader: Any, event: Any, depth: int) -> Any:
        self.budget -= 1
        cls = event.__class__
        if cls is _ScalarEvent and event.tag is None and not event.anchor:
            # the common case, kept short: an untagged scalar without an anchor
            if not event.implicit[0]:
                return event.value
            try:
                return _plain(event.value)
            except ValueError:  # e.g. an impossible date: the slow path names the line
                return self._scalar(event)
        if self.budget < 0:
            raise yaml.MarkedYAMLError(
                problem="aliases expand to too many values (alias bomb?)",
                problem_mark=event.start_mark,
            )
        if cls is yaml.AliasEvent:
            return self._alias(event)
        if depth > MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=event.start_mark
            )
        if cls is _ScalarEvent:
            value = self._scalar(event)
            if event.anchor:
                self.anchors[event.anchor] = value
            return value
        if cls is yaml.SequenceStartEvent:
            return self._sequence(loader, event, depth)
        return self._mapping(loader, event, depth)

    def _alias(self, event: Any) -> Any:
        if event.anchor in self.open_anchors:
            raise yaml.MarkedYAMLError(
                problem=f"alias *{event.anchor} refers to itself", problem_mark=event.start_mark
            )
        if event.anchor not in self.anchors:
            raise yaml.MarkedYAMLError(
                problem=f"unknown alias *{event.anchor}", problem_mark=event.start_mark
            )
        value = self.anchors[event.anchor]
        self.budget -= _weight(value, limit=max(self.budget, 0) + 1)
        if self.budget < 0:
            raise yaml.MarkedYAMLError(
                problem="aliases expand to too many values (alias bomb?)",
                problem_mark=event.start_mark,
            )
        return value

    def _scalar(self, event: Any) -> Any:
        value: str = event.value
        tag = event.tag
        if tag in (None, "!") and event.implicit[0]:
            tag = _implicit_tag(value)
            if tag is None:
                return value
        elif tag in (None, "!"):
            return value
        if tag == _STR:
            return value
        if tag == _MERGE:
            return _MERGE_KEY
        if tag not in _TAGGED:
            raise yaml.MarkedYAMLError(
                problem=f"unsupported tag {tag}", problem_mark=event.start_mark
            )
        node = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        try:
            return _constructor.construct_object(node)
        except (ConstructorError, ValueError) as exc:
            raise yaml.MarkedYAMLError(
                problem=f"bad {tag.rsplit(':', 1)[-1]} value {value!r}: {exc}",
                problem_mark=event.start_mark,
            ) from None

    def _sequence(self, loader: Any, start: Any, depth: int) -> list[Any]:
        items: list[Any] = []
        self._open(start, items)
        check, get, value_of = loader.check_event, loader.get_event, self._value
        if self.track:
            lines = self.doc.lines[id(items)] = _int_array((start.start_mark.line + 1,))
            while not check(yaml.SequenceEndEvent):
                event = get()
                lines.append(event.start_mark.line + 1)
                items.append(value_of(loader, event, depth + 1))
        else:
            while not check(yaml.SequenceEndEvent):
                items.append(value_of(loader, get(), depth + 1))
        get()
        self._close(start)
        return items

    def _mapping(self, loader: Any, start: Any, depth: int) -> dict[Any, Any]:
        data: dict[Any, Any] = {}
        # one line per key of ``data``, in the same order (duplicates are not kept)
        lines = _int_array((start.start_mark.line + 1,)) if self.track else _NO_LINES
        if self.track:
            self.doc.lines[id(data)] = lines
        self._open(start, data)
        merged: list[dict[Any, Any]] = []
        check, get, value_of = loader.check_event, loader.get_event, self._value
        while not check(yaml.MappingEndEvent):
            key_event = get()
            key = value_of(loader, key_event, depth + 1)
            value = value_of(loader, get(), depth + 1)
            if key.__class__ not in _KEY_TYPES or key in data:
                self._bad_key(key, key_event, data, merged, value)
                continue
            data[key] = value
            lines.append(key_event.start_mark.line + 1)
        get()
        for source in merged:  # explicit keys win over merged ones
            source_lines = self.doc.lines.get(id(source))
            for position, (key, value) in enumerate(source.items()):
                if key not in data:
                    data[key] = value
                    lines.append(source_lines[position + 1] if source_lines else 1)
        self._close(start)
        return data

    def _bad_key(
        self,
        key: Any,
        event: Any,
        data: dict[Any, Any],
        merged: list[dict[Any, Any]],
        value: Any,
    ) -> None:
        """A merge key, a duplicate, or a key that is not a single value."""
        line = event.start_mark.line + 1
        if key is _MERGE_KEY:
            merged.extend(self._merge_sources(value, event))
        elif key.__class__ not in _KEY_TYPES:
            self.findings.append(f"{self.name}:{line}: a key must be a single value")
        else:
            self.findings.append(
                f"{self.name}:{line}: duplicate key {key!r} "
                f"(first at line {self._first_line(data, key)}); YAML keeps only one of them"
            )

    def _first_line(self, data: dict[Any, Any], key: Any) -> int:
        """The line of ``key``'s first occurrence in the mapping being built."""
        position = next(i for i, k in enumerate(data) if k is key or k == key)
        lines = self.doc.lines.get(id(data), _NO_LINES)  # untracked: this pass is redone
        return int(lines[position + 1])

    def _merge_sources(self, value: Any, event: Any) -> list[dict[Any, Any]]:
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(s, dict) for s in sources):
            raise yaml.MarkedYAMLError(
                problem="'<<' merges only mappings", problem_mark=event.start_mark
            )
        return list(sources)

    def _open(self, event: Any, container: Any) -> None:
        if event.anchor:
            self.anchors[event.anchor] = container
            self.open_anchors.add(event.anchor)

    def _close(self, event: Any) -> None:
        if event.anchor:
            self.open_anchors.discard(event.anchor)


_ScalarEvent = yaml.ScalarEvent


class _NoLines:
    """Stands for a line table when lines are not tracked: appending does nothing."""

    def append(self, line: int) -> None:
        pass

    def __getitem__(self, position: int) -> int:
        return 1


_NO_LINES: Any = _NoLines()


def _int_array(values: tuple[int, ...]) -> array.array[int]:
    return array.array("i", values)


_KEY_TYPES = frozenset({str, int, float, bool, type(None), datetime.date, datetime.datetime})


def _implicit_tag(value: str) -> str | None:
    """The tag YAML 1.1 gives a plain scalar, None for a plain string."""
    for tag, regexp in _RESOLVERS.get(value[:1] if value else "", ()):
        if regexp.match(value):
            return tag
    return None


@functools.lru_cache(maxsize=65536)
def _plain(value: str) -> Any:
    """A plain (unquoted, untagged) scalar as SafeLoader reads it; cached: names and numbers
    repeat a lot in these files."""
    tag = _implicit_tag(value)
    if tag is None or tag == _STR:
        return value
    if tag == _MERGE:
        return _MERGE_KEY
    node = ScalarNode(tag, value)
    return _constructor.yaml_constructors[tag](_constructor, node)


def _line(event: Any) -> int:
    mark = getattr(event, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 1


class _MergeKey:
    def __repr__(self) -> str:
        return "<<"


_MERGE_KEY = _MergeKey()


def _weight(value: Any, limit: int) -> int:
    """How many values an alias to ``value`` adds once expanded (iterative, bounded)."""
    count = 0
    stack = [value]
    while stack and count < limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count
