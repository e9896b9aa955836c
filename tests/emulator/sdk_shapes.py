"""A strict reading of an `azure-ai-agents` model: what its declared fields say, checked value by value.

The SDK's models are MutableMappings that accept any JSON (a list where a model belongs raises, but a
string where an int belongs, or a dict missing every field, does not), and reading an attribute
converts rather than checks (`str(x)` for a `str` field). So constructing a model proves little.
`problems()` walks a parsed model and reports every field whose raw JSON value does not have the type
the SDK declares (its annotations and `rest_field` metadata), every required field that is missing,
every model-typed value the SDK did not parse into the declared class (or that fell back to an
abstract base because its discriminator is unknown), and every key the model does not declare.

Nothing here knows the emulator: the expectations all come from the SDK's own class definitions.
"""

from __future__ import annotations

import datetime
import inspect
import typing
from typing import Any, Collection, Dict, FrozenSet, List, Mapping, Tuple

from azure.ai.agents import _types as sdk_types
from azure.ai.agents import models as sdk_models
from azure.ai.agents._utils.model_base import Model

Tolerated = Mapping[Tuple[str, str], str]  # (model class name, JSON key) -> why an undeclared key is fine


def problems(value: Any, cls: type, path: str = "$", *, unknown_types: Collection[str] = (),
             tolerated: Tolerated = {}) -> List[str]:
    """Everything in `value` (a parsed SDK model) that does not match the SDK's declaration of `cls`.

    Args:
        value: the model instance the SDK built (e.g. `RunStep(obj)`).
        cls: the class the SDK declares for it.
        path: where `value` sits, for the messages.
        unknown_types: discriminator values the caller knows the SDK cannot know (a tool type invented
            after it shipped); such objects may fall back to the abstract base, extra keys and all.
        tolerated: undeclared keys that are allowed, each with the reason.
    """
    return _Checker(frozenset(unknown_types), tolerated).model(value, cls, path)


class _Checker:
    def __init__(self, unknown_types: FrozenSet[str], tolerated: Tolerated):
        self.unknown_types = unknown_types
        self.tolerated = tolerated

    def model(self, value: Any, cls: type, path: str) -> List[str]:
        if not isinstance(value, Model):
            return [f"{path}: {type(value).__name__} {value!r:.80}, not parsed into {cls.__name__}"]
        if not isinstance(value, cls):
            return [f"{path}: parsed as {type(value).__name__}, not {cls.__name__}"]
        actual = type(value)
        if actual.__dict__.get("__mapping__"):  # an abstract base: the discriminator matched no subclass
            kind = value.get("type")
            if kind in self.unknown_types:
                return []  # kept whole, as any client must keep a kind it does not know
            return [f"{path}: type {kind!r} is not one of {actual.__name__}'s kinds {sorted(actual.__mapping__)}"]
        out: List[str] = []
        declared = {rf._rest_name: (attr, rf) for attr, rf in actual._attr_to_rest_field.items()}
        required = _required_attrs(actual)
        annotations = _annotations(actual)
        for name, (attr, rf) in declared.items():
            if name not in value:
                if attr in required:
                    out.append(f"{path}.{name}: missing, and {actual.__name__} requires it")
                continue
            out += self.value(value[name], annotations[attr], f"{path}.{name}", rf._format)
            getattr(value, attr)  # the SDK's own read must not raise either
        for key in value:
            if key not in declared and (actual.__name__, key) not in self.tolerated:
                out.append(f"{path}.{key}: {actual.__name__} declares no such field")
        return out

    def value(self, v: Any, annotation: Any, path: str, fmt: Any = None, in_union: bool = False) -> List[str]:
        if v is None:  # the SDK drops `| null` from required fields, so None cannot be judged here
            return []
        annotation = _resolve(annotation)
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if annotation is Any:
            return []
        if origin is typing.Literal:
            return [] if any(v == a for a in args) else [f"{path}: {v!r} is not one of {list(args)}"]
        if origin is typing.Union:
            arms = [a for a in args if a is not type(None)]
            found = [self.value(v, arm, path, fmt, in_union=True) for arm in arms]
            if any(not f for f in found):
                return []
            # The closest arm's complaints: one whose kind matches (complaints below `path`, not at it).
            return min(found, key=lambda f: (sum(p.startswith(f"{path}:") for p in f), len(f)))
        if origin in (list, List):
            if not isinstance(v, list):
                return [f"{path}: {type(v).__name__}, not a list"]
            return [p for i, item in enumerate(v) for p in self.value(item, args[0], f"{path}[{i}]")]
        if origin in (dict, Dict):
            if not isinstance(v, dict):
                return [f"{path}: {type(v).__name__}, not a map"]
            out = [f"{path}: key {k!r} is not a string" for k in v if not isinstance(k, str)]
            return out + [p for k, item in v.items() for p in self.value(item, args[1], f"{path}.{k}")]
        if isinstance(annotation, type) and issubclass(annotation, Model):
            if in_union and isinstance(v, dict) and not isinstance(v, Model):
                # The SDK cannot resolve its own `_types` union aliases (tool_choice, response_format)
                # and keeps those values raw: parse them as the SDK would parse this arm.
                v = annotation._deserialize(v, [])
            return self.model(v, annotation, path)
        if annotation is datetime.datetime and fmt == "unix-timestamp":
            return [] if _is_int(v) else [f"{path}: {v!r} is not unix seconds"]
        if annotation is bool:
            return [] if isinstance(v, bool) else [f"{path}: {v!r} is not a boolean"]
        if annotation is int:
            return [] if _is_int(v) else [f"{path}: {v!r} is not an integer"]
        if annotation is float:
            return [] if _is_int(v) or isinstance(v, float) else [f"{path}: {v!r} is not a number"]
        if annotation is str or (isinstance(annotation, type) and issubclass(annotation, str)):  # str or str enum
            return [] if isinstance(v, str) else [f"{path}: {v!r} is not a string"]
        if annotation in (list, dict):  # bare `list` / `dict` in an annotation
            return [] if isinstance(v, annotation) else [f"{path}: {type(v).__name__}, not a {annotation.__name__}"]
        return [f"{path}: no rule for the SDK annotation {annotation!r}"]  # a new SDK construct: look at it


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _resolve(annotation: Any) -> Any:
    """The object an SDK annotation names: they are strings such as '_models.RunStepDetails',
    '_types.AgentsToolChoiceOption' or ForwardRefs of them, also inside list[...] and Union[...]."""
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        space, _, name = annotation.rpartition(".")
        module = sdk_types if space == "_types" else sdk_models
        return _resolve(getattr(module, name))
    return annotation


def _annotations(cls: type) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        out.update(klass.__dict__.get("__annotations__", {}))
    return out


def _required_attrs(cls: type) -> FrozenSet[str]:
    """The fields the SDK's keyword constructor requires (no default), from its `@overload`."""
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for overload in typing.get_overloads(init):
            params = inspect.signature(overload).parameters
            if "mapping" in params:
                continue
            return frozenset(n for n, p in params.items()
                             if p.kind is p.KEYWORD_ONLY and p.default is inspect.Parameter.empty)
    return frozenset()
