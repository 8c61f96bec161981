"""YAML that remembers where everything was written.

:func:`load_yaml` returns plain Python data (dicts, lists, scalars) and a :class:`LineMap` from
every field path (``("shots", 2, "camera", "focal_length_mm")``) to the 1-based line of the key or
sequence item, so a validation error can name ``shots[2].camera.focal_length_mm`` and its line.

The scalars follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1 defaults: ``16:9`` is
text (not the base-60 integer 969), ``yes``/``no``/``on``/``off`` are text (pydantic still reads
them as booleans where a boolean is wanted), and ``1e3`` is a number. Duplicate keys are an error,
not a silent overwrite; merge keys (``<<: *anchor``) work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from previs.errors import SceneError

PathT = tuple[str | int, ...]

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MAX_NODES = 1_000_000  # alias bombs ("billion laughs") stop here

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
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


def format_path(path: PathT) -> str:
    """``("shots", 2, "camera", "focal_length_mm")`` -> ``shots[2].camera.focal_length_mm``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
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
            try:
                return self.loader.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                raise self.error(f"cannot read this value: {getattr(exc, 'problem', exc)}",
                                 path, _line(node)) from None
        if id(node) in self.stack:
            raise self.error("an alias refers to its own parent (a recursive structure)", path, _line(node))
        self.stack.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != "tag:yaml.org,2002:seq":
                    raise self.error(f"unsupported tag {node.tag}", path, _line(node))
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

    def _mapping(self, node: MappingNode, path: PathT) -> dict:
        if node.tag != "tag:yaml.org,2002:map":
            raise self.error(f"unsupported tag {node.tag}", path, _line(node))
        explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        try:
            self.loader.flatten_mapping(node)
        except yaml.YAMLError as exc:
            raise self.error(f"bad merge key: {getattr(exc, 'problem', exc)}", path, _line(node)) from None
        n_merged = len(node.value) - explicit
        out: dict = {}
        first_line: dict = {}
        for i, (k_node, v_node) in enumerate(node.value):
            if not isinstance(k_node, ScalarNode):
                raise self.error("a key must be a plain name, not a list or mapping", path, _line(k_node))
            key = self.build(k_node, path)
            try:
                hash(key)
            except TypeError:
                raise self.error(f"unusable key {key!r}", path, _line(k_node)) from None
            if i >= n_merged and key in first_line:
                raise self.error(f"duplicate key '{key}' (first written on line {first_line[key]})",
                                 path + (key,), _line(k_node))
            if i >= n_merged:
                first_line[key] = _line(k_node)
            self.lines.lines[path + (key,)] = _line(k_node)
            out[key] = self.build(v_node, path + (key,))
        return out


def load_yaml_text(text: str, file: str | Path = "<scene>") -> tuple[object, LineMap]:
    """Parse one YAML document; return (data, line map). Errors are :class:`SceneError`."""
    file = str(file)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            what = exc.problem or exc.context or "syntax error"
            raise SceneError(f"not valid YAML: {what}", file=file, line=line) from None
        except yaml.YAMLError as exc:  # ReaderError: a control character, a binary file
            raise SceneError(f"not a YAML text file: {exc}".splitlines()[0], file=file) from None
        if node is None:
            return None, LineMap({(): 1})
        builder = _Builder(loader, file)
        builder.lines.lines[()] = _line(node)
        data = builder.build(node, ())
        return data, builder.lines
    finally:
        loader.dispose()


def read_text(path: str | Path) -> str:
    """A scene file's text (UTF-8); every failure is a one-line :class:`SceneError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SceneError("no such file", file=path) from None
    except IsADirectoryError:
        raise SceneError("is a directory, not a scene file", file=path) from None
    except OSError as exc:
        raise SceneError(f"cannot read the file: {exc.strerror or exc}", file=path) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SceneError(f"not a YAML text file (not UTF-8 at byte {exc.start})", file=path) from None


def load_yaml(path: str | Path) -> tuple[object, LineMap]:
    """Read and parse a YAML file (UTF-8); every failure is a one-line :class:`SceneError`."""
    return load_yaml_text(read_text(path), Path(path))
