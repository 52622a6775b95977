"""botocore's AppFlow model as the oracle for connector tests: a recursive shape checker."""

from __future__ import annotations

import re
from typing import Any

import botocore.session
from botocore.model import Shape

MODEL = botocore.session.get_session().get_service_model("appflow")


def shape_errors(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Every way `value` strays from `shape`: unknown members, enums, patterns, lengths, types."""
    errors: list[str] = []
    where = path or shape.name
    if shape.type_name == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected a structure, got {type(value).__name__}"]
        for name in value:
            if name not in shape.members:
                errors.append(f"{where}: {name!r} is not a member of {shape.name}")
        for name in shape.required_members:
            if name not in value:
                errors.append(f"{where}: required member {name!r} missing")
        for name, member in value.items():
            if name in shape.members:
                errors += shape_errors(member, shape.members[name], f"{where}.{name}")
    elif shape.type_name == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        for index, item in enumerate(value):
            errors += shape_errors(item, shape.member, f"{where}[{index}]")
    elif shape.type_name == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map"]
        for key, item in value.items():
            errors += shape_errors(key, shape.key, f"{where}<key>")
            errors += shape_errors(item, shape.value, f"{where}[{key!r}]")
    elif shape.type_name == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{where}: expected a boolean")
    elif shape.type_name == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string"]
        if shape.enum and value not in shape.enum:
            errors.append(f"{where}: {value!r} not in {shape.name} enum")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.search(pattern, value):
            errors.append(f"{where}: {value!r} does not match {pattern!r}")
        if len(value) > shape.metadata.get("max", len(value)):
            errors.append(f"{where}: longer than {shape.metadata['max']}")
    return errors
