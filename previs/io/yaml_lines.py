"""YAML that remembers where everything was written.

:func:`load_yaml` returns plain Python data (dicts, lists, scalars) and a :class:`LineMap` from
every field path (``("shots", 2, "camera", "focal_length_mm")``) to the 1-based line of the key or
sequence item, so a validation error can name ``shots[2].camera.focal_length_mm`` and its line.

The scalars follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1 defaults: ``16:9`` is
text (not the base-60 integer 969), ``yes``/``no``/``on``/``off`` are text (pydantic still reads
them as booleans where a boolean is wanted), and ``1e3`` is a number. Duplicate keys are an error,
not a silent overwrite; merge keys (``<<: *anchor``) work.

Hostile input is bounded (:mod:`previs.core.limits`): only regular files are read, and at most
:data:`~previs.core.limits.MAX_SCENE_FILE_BYTES` + 1 bytes of them; the parser's events are
counted (values, nesting) before any node is built; only the core schema's tags (``!!str``,
``!!int``, ``!!float``, ``!!bool``, ``!!null``, ``!!seq``, ``!!map``) are read, and integers are
held to 64 bits. Every refusal is one :class:`SceneError` line; no message quotes more of the
file than the offending token (escaped and shortened by :func:`show`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.events import CollectionEndEvent, CollectionStartEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from previs.core.limits import (
    MAX_INT_DIGITS,
    MAX_SCENE_FILE_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_VALUES,
)
from previs.errors import SceneError, show

PathT = tuple[str | int, ...]

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MAX_NODES = MAX_YAML_VALUES  # alias bombs ("billion laughs") stop here
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
            |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


_SCALAR_TAGS = {_BOOL, _INT, _FLOAT, "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"}


def _escape(text: str) -> str:
    """Non-printable characters (controls, escape sequences, bidi overrides) as Python escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def one_line(text) -> str:
    """A message on one line: line breaks become spaces, other control characters are escaped."""
    return _escape(" ".join(str(text).splitlines()))


def _tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def format_path(path: PathT) -> str:
    """``("shots", 2, "camera", "focal_length_mm")`` -> ``shots[2].camera.focal_length_mm``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + _escape(str(part))
    return out


@dataclass
class LineMap:
    """Field path -> 1-based line of its key (mapping) or item (sequence)."""

    lines: dict[PathT, int] = field(default_factory=dict)

    def line_of(self, path: PathT) -> int | None:
        """The line of ``path``, or of its deepest written ancestor (a missing key: its parent)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Builder:
    def __init__(self, loader: _Loader, file: str):
        self.loader = loader
        self.file = file
        self.lines = LineMap()
        self.count = 0
        self.stack: set[int] = set()

    def error(self, message: str, path: PathT, line: int) -> SceneError:
        return SceneError(message, file=self.file, field=format_path(path) or None, line=line)

    def build(self, node: Node, path: PathT):
        self.count += 1
        if self.count > _MAX_NODES:
            raise self.error(f"more than {_MAX_NODES} values (an alias bomb?)", path, _line(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if id(node) in self.stack:
            raise self.error(
                "an alias refers to its own parent (a recursive structure)", path, _line(node)
            )
        self.stack.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != "tag:yaml.org,2002:seq":
                    raise self.error(f"unsupported tag {show(_tag(node.tag))}", path, _line(node))
                out = []
                for i, item in enumerate(node.value):
                    self.lines.lines[path + (i,)] = _line(item)
                    out.append(self.build(item, path + (i,)))
                return out
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            raise self.error(f"unsupported YAML node {type(node).__name__}", path, _line(node))
        finally:
            self.stack.discard(id(node))

    def _scalar(self, node: ScalarNode, path: PathT):
        if node.tag not in _SCALAR_TAGS:
            raise self.error(
                f"unsupported tag {show(_tag(node.tag))} (a scene holds text, numbers, "
                "true/false and lists and mappings of them)",
                path,
                _line(node),
            )
        text = node.value
        if node.tag == _INT:
            digits = sum(c.isdigit() for c in text)
            if digits > MAX_INT_DIGITS or (
                text.lstrip("+-").lower().startswith("0x") and len(text) > MAX_INT_DIGITS + 3
            ):
                raise self.error(
                    f"integer {show(text)} is too large (at most {MAX_INT_DIGITS} digits)",
                    path,
                    _line(node),
                )
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            what = {_INT: "an integer", _FLOAT: "a number", _BOOL: "true or false"}.get(node.tag)
            why = f"{show(text)} is not {what}" if what else one_line(getattr(exc, "problem", exc))
            raise self.error(f"cannot read this value: {why}", path, _line(node)) from None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            raise self.error(f"integer {show(text)} does not fit in 64 bits", path, _line(node))
        return value

    def _mapping(self, node: MappingNode, path: PathT) -> dict:
        if node.tag != "tag:yaml.org,2002:map":
            raise self.error(f"unsupported tag {show(_tag(node.tag))}", path, _line(node))
        explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        try:
            self.loader.flatten_mapping(node)
        except yaml.YAMLError as exc:
            raise self.error(
                f"bad merge key: {one_line(getattr(exc, 'problem', exc))}", path, _line(node)
            ) from None
        n_merged = len(node.value) - explicit
        out: dict = {}
        first_line: dict = {}
        for i, (k_node, v_node) in enumerate(node.value):
            if not isinstance(k_node, ScalarNode):
                raise self.error(
                    "a key must be a plain name, not a list or mapping", path, _line(k_node)
                )
            key = self.build(k_node, path)
            try:
                hash(key)
            except TypeError:
                raise self.error(f"unusable key {show(key)}", path, _line(k_node)) from None
            if i >= n_merged and key in first_line:
                raise self.error(
                    f"duplicate key {show(key)} (first written on line {first_line[key]})",
                    path + (key,),
                    _line(k_node),
                )
            if i >= n_merged:
                first_line[key] = _line(k_node)
            self.lines.lines[path + (key,)] = _line(k_node)
            out[key] = self.build(v_node, path + (key,))
        return out


def _syntax_error(exc: yaml.YAMLError, file: str) -> SceneError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "syntax error"
        return SceneError(f"not valid YAML: {one_line(what)}", file=file, line=line)
    # ReaderError: a control character, a binary file
    return SceneError(one_line(f"not a YAML text file: {str(exc).splitlines()[0]}"), file=file)


def _check_size(text: str, file: str) -> None:
    """Count the parser's events (values and nesting) before anything is built: building nodes
    costs memory per value, counting events does not."""
    loader = _Loader(text)
    count = depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, NodeEvent):
                count += 1
                if count > MAX_YAML_VALUES:
                    raise SceneError(
                        f"more than {MAX_YAML_VALUES:,} values; a scene file holds at "
                        "most that many",
                        file=file,
                        line=event.start_mark.line + 1,
                    )
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise SceneError(
                        f"lists and mappings nested more than {MAX_YAML_DEPTH} deep",
                        file=file,
                        line=event.start_mark.line + 1,
                    )
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, file) from None
    finally:
        loader.dispose()


def load_yaml_text(text: str, file: str | Path = "<scene>") -> tuple[object, LineMap]:
    """Parse one YAML document; return (data, line map). Errors are :class:`SceneError`."""
    file = str(file)
    _check_size(text, file)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise _syntax_error(exc, file) from None
        if node is None:
            return None, LineMap({(): 1})
        builder = _Builder(loader, file)
        builder.lines.lines[()] = _line(node)
        data = builder.build(node, ())
        return data, builder.lines
    finally:
        loader.dispose()


def read_text(path: str | Path) -> str:
    """A scene file's text (UTF-8); every failure is a one-line :class:`SceneError`.

    Only a regular file (or a link to one) is read, and at most
    :data:`~previs.core.limits.MAX_SCENE_FILE_BYTES` + 1 bytes of it
    (:func:`previs.io.safe_files.read_regular`): a device, a FIFO or a runaway file is refused
    before it can hang the load or fill memory."""
    from previs.io.safe_files import UnsafeFile, read_regular

    path = Path(path)
    try:
        raw = read_regular(path, MAX_SCENE_FILE_BYTES)
    except UnsafeFile as exc:
        why = exc.reason
        if why == "not found":
            why = "no such file"
        elif why.startswith("a part of the path is a file"):
            why = "no such file (a folder on its path is a file)"
        elif why.startswith("the file is "):  # "the file is 20.0 MiB; previs reads at most ..."
            why = (
                f"is larger than {MAX_SCENE_FILE_BYTES // 2**20} MiB; a scene file holds at "
                "most that much"
            )
        elif why.startswith(("a ", "not a regular")):  # what the path is
            link = " (through a symbolic link)" if path.is_symlink() else ""
            why = f"is {why.replace(', not', f'{link}, not', 1)}"
        else:
            why = f"cannot read the file: {why}"
        raise SceneError(one_line(why), file=path) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SceneError(
            f"not a YAML text file (not UTF-8 at byte {exc.start})", file=path
        ) from None


def load_yaml(path: str | Path) -> tuple[object, LineMap]:
    """Read and parse a YAML file (UTF-8); every failure is a one-line :class:`SceneError`."""
    return load_yaml_text(read_text(path), Path(path))
