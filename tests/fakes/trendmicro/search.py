"""Deep Security search filters: which objects a `searchCriteria` list keeps.

Follows "Search for Resources" (https://automation.deepsecurity.trendmicro.com/article/12_0/how-to-search)
and the `SearchCriteria` / `SearchFilter` models: every criterion must hold; an ID test has no
`fieldName`; string tests are `equal` / `not-equal` with `%` and `_` wildcards unless
`stringWildcards` is false; numeric and ID tests `equal`, `not-equal`, `less-than`,
`less-than-or-equal`, `greater-than`, `greater-than-or-equal`; `booleanTest`; `nullTest`; date
ranges `firstDateValue` / `lastDateValue` (epoch ms), inclusive unless `firstDateInclusive` /
`lastDateInclusive` say false. Field names are case-sensitive. A malformed criterion is a 400.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "equal": operator.eq, "not-equal": operator.ne, "less-than": operator.lt,
    "less-than-or-equal": operator.le, "greater-than": operator.gt, "greater-than-or-equal": operator.ge,
}


class SearchError(ValueError):
    """A criterion the API would refuse (answered 400 with its message)."""


def _like(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern), re.S)


def compile_criterion(criterion: Mapping[str, Any], known: set[str]) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for one criterion (`known`: the object's field names)."""
    if "idTest" in criterion or ("idValue" in criterion and "fieldName" not in criterion):
        test = TESTS.get(str(criterion.get("idTest", "equal")))
        value = criterion.get("idValue")
        if test is None or not isinstance(value, int):
            raise SearchError("Invalid ID search criteria.")
        return lambda record: test(record["ID"], value)
    name = criterion.get("fieldName")
    if not isinstance(name, str) or name not in known:
        raise SearchError(f"Invalid search field: {name}")
    if "nullTest" in criterion:
        wanted = bool(criterion["nullTest"])
        return lambda record: (record.get(name) is None) == wanted
    if "booleanTest" in criterion:
        flag = bool(criterion["booleanTest"])
        return lambda record: record.get(name) is flag
    if "stringValue" in criterion:
        text = str(criterion["stringValue"])
        equal = str(criterion.get("stringTest", "equal")) == "equal"
        if criterion.get("stringWildcards", True):
            pattern = _like(text)
            return lambda record: isinstance(record.get(name), str) and bool(pattern.fullmatch(record[name])) == equal
        return lambda record: isinstance(record.get(name), str) and (record[name] == text) == equal
    if "numericValue" in criterion:
        test = TESTS.get(str(criterion.get("numericTest", "equal")))
        number = criterion["numericValue"]
        if test is None or not isinstance(number, int | float):
            raise SearchError("Invalid numeric search criteria.")
        return lambda record: isinstance(record.get(name), int | float) and test(record[name], number)
    if "firstDateValue" in criterion or "lastDateValue" in criterion:
        first, last = criterion.get("firstDateValue"), criterion.get("lastDateValue")
        first_in = criterion.get("firstDateInclusive", True) is not False
        last_in = criterion.get("lastDateInclusive", True) is not False

        def inside(record: Mapping[str, Any]) -> bool:
            value = record.get(name)
            if not isinstance(value, int):
                return False
            if first is not None and (value < first or (value == first and not first_in)):
                return False
            return not (last is not None and (value > last or (value == last and not last_in)))

        return inside
    raise SearchError(f"Invalid search criteria for field {name}.")
