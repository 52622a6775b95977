"""A SOQL subset (SELECT ... FROM ... WHERE ... ORDER BY ... LIMIT ... OFFSET) translated to SQLite.

A tokenizer and a small recursive-descent parser; errors are raised as SalesforceError with the
MALFORMED_QUERY / INVALID_FIELD / INVALID_TYPE codes and messages shaped like Salesforce's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .errors import SalesforceError
from .schema import OBJECTS, FieldDef, ObjectDef, normalise_id
from .soql_tokens import DATE_LITERALS, DATE_N_LITERALS, Token, date_range, point_at, tokenize, utc_text

__all__ = ["Parser", "Translation", "date_range", "tokenize", "translate"]

STRINGY = {"id", "reference", "string", "textarea", "picklist", "multipicklist", "phone", "url", "email"}
NUMERIC = {"int", "double", "currency", "percent"}
KEYWORDS = {"SELECT", "FROM", "WHERE", "ORDER", "BY", "LIMIT", "OFFSET", "AND", "OR", "NOT", "IN", "LIKE", "ASC",
            "DESC", "NULLS", "FIRST", "LAST", "INCLUDES", "EXCLUDES", "GROUP", "HAVING", "WITH", "FOR"}


@dataclass
class Translation:
    """A parsed query: what to select and the SQLite WHERE/ORDER BY/LIMIT clauses."""

    obj: ObjectDef
    fields: list[FieldDef]
    is_count: bool
    where: str = ""
    params: list = field(default_factory=list)
    order: str = ""
    limit: int | None = None
    offset: int | None = None

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def sql(self, include_deleted: bool = False, extra_id: bool = False, count: bool = False) -> tuple[str, list]:
        """The SQLite statement; compound fields expand to their component columns."""
        cols: list[str] = []
        for f in self.fields:
            cols.extend(f'"{c}"' for c in (f.components if f.compound else [f.name]))
        if extra_id:
            cols.append('"Id"')
        conds = [] if include_deleted else ['"IsDeleted" = 0']
        if self.where:
            conds.append(f"({self.where})")
        sql = f'SELECT {", ".join(cols) or "1"} FROM "{self.obj.name}"'
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        if self.order and not count:
            sql += " ORDER BY " + self.order
        if self.limit is not None or self.offset:
            sql += f" LIMIT {self.limit if self.limit is not None else -1} OFFSET {self.offset or 0}"
        if count:
            sql = f"SELECT COUNT(*) FROM ({sql})"
        return sql, list(self.params)


class Parser:
    """Recursive-descent parser producing a Translation."""

    def __init__(self, soql: str, now: dt.datetime | None = None, objects: dict[str, ObjectDef] | None = None):
        self.soql = soql
        self.tokens = tokenize(soql)
        self.i = 0
        self.today = (now or dt.datetime.now(dt.UTC)).date()
        self.objects = objects or OBJECTS
        self.params: list = []

    # -- token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def kw(self, *words: str) -> bool:
        return self.tok.kind == "ident" and str(self.tok.value).upper() in words

    def expect_kw(self, word: str) -> None:
        if not self.kw(word):
            self.fail()
        self.i += 1

    def expect(self, text: str) -> None:
        if self.tok.text != text or self.tok.kind not in ("punct", "op"):
            self.fail()
        self.i += 1

    def fail(self, tok: Token | None = None):
        tok = tok or self.tok
        shown = "<EOF>" if tok.kind == "eof" else f"'{tok.text}'"
        raise SalesforceError(400, "MALFORMED_QUERY", point_at(self.soql, tok.pos, f"unexpected token: {shown}"))

    def invalid(self, tok: Token, message: str, code: str = "INVALID_FIELD"):
        raise SalesforceError(400, code, point_at(self.soql, tok.pos, message))

    # -- grammar
    def parse(self) -> Translation:
        self.expect_kw("SELECT")
        select_toks: list[Token] = []
        is_count = False
        if self.kw("COUNT") and self.tokens[self.i + 1].text == "(":
            self.i += 1
            self.expect("(")
            self.expect(")")
            is_count = True
        else:
            while True:
                if self.tok.kind != "ident" or self.kw("FROM"):
                    self.fail()
                select_toks.append(self.tok)
                self.i += 1
                if self.tok.text != ",":
                    break
                self.i += 1
        self.expect_kw("FROM")
        obj_tok = self.tok
        if obj_tok.kind != "ident":
            self.fail()
        self.i += 1
        obj = next((o for o in self.objects.values() if o.name.lower() == str(obj_tok.value).lower()), None)
        if obj is None:
            self.invalid(obj_tok, f"sObject type '{obj_tok.value}' is not supported. If you are attempting to use a "
                         "custom object, be sure to append the '__c' after the entity name. Please reference your "
                         "WSDL or the describe call for the appropriate names.", "INVALID_TYPE")
        self.obj = obj
        fields: list[FieldDef] = []
        for t in select_toks:
            f = self.field(t)
            if f in fields:
                self.invalid(t, f"duplicate field selected: {f.name}", "MALFORMED_QUERY")
            fields.append(f)
        tr = Translation(obj, fields, is_count)
        if self.kw("WHERE"):
            self.i += 1
            tr.where = self.condition()
        if self.kw("ORDER"):
            self.i += 1
            self.expect_kw("BY")
            tr.order = self.order_by()
        if self.kw("LIMIT"):
            self.i += 1
            tr.limit = self.integer()
        if self.kw("OFFSET"):
            self.i += 1
            tr.offset = self.integer()
            if tr.offset > 2000:
                raise SalesforceError(400, "NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000")
        if self.tok.kind != "eof":
            self.fail()
        tr.params = self.params
        return tr

    def field(self, tok: Token) -> FieldDef:
        name = str(tok.value)
        f = self.obj.field(name)
        if f is None:
            if "." in name:
                rel = name.split(".")[0]
                self.invalid(tok, f"Didn't understand relationship '{rel}' in field path. If you are attempting to "
                             "use a custom relationship, be sure to append the '__r' after the custom relationship "
                             "name. Please reference your WSDL or the describe call for the appropriate names.")
            self.invalid(tok, f"No such column '{name}' on entity '{self.obj.name}'. If you are attempting to use a "
                         "custom field, be sure to append the '__c' after the custom field name. Please reference "
                         "your WSDL or the describe call for the appropriate names.")
        return f

    def integer(self) -> int:
        tok = self.tok
        if tok.kind != "number" or not isinstance(tok.value, int) or tok.value < 0:
            self.fail()
        self.i += 1
        return int(tok.value)  # type: ignore[arg-type]

    def order_by(self) -> str:
        parts = []
        while True:
            tok = self.tok
            if tok.kind != "ident":
                self.fail()
            self.i += 1
            f = self.field(tok)
            if not f.sortable:
                self.invalid(tok, f"field '{f.name}' can not be sorted in a query call")
            part = f'"{f.name}"' + (" COLLATE NOCASE" if f.type in STRINGY else "")
            if self.kw("ASC", "DESC"):
                part += " " + str(self.tok.value).upper()
                self.i += 1
            if self.kw("NULLS"):
                self.i += 1
                if not self.kw("FIRST", "LAST"):
                    self.fail()
                part += " NULLS " + str(self.tok.value).upper()
                self.i += 1
            parts.append(part)
            if self.tok.text != ",":
                return ", ".join(parts)
            self.i += 1

    def condition(self) -> str:
        """A chain of terms joined by one of AND/OR; mixing them needs parentheses, as in SOQL."""
        terms = [self.term()]
        joiner = None
        while self.kw("AND", "OR"):
            word = str(self.tok.value).upper()
            if joiner and word != joiner:
                self.fail()
            joiner = word
            self.i += 1
            terms.append(self.term())
        return f" {joiner} ".join(terms) if joiner else terms[0]

    def term(self) -> str:
        if self.kw("NOT"):
            self.i += 1
            return f"NOT ({self.term()})"
        if self.tok.text == "(" and self.tok.kind == "punct":
            self.i += 1
            inner = self.condition()
            self.expect(")")
            return f"({inner})"
        return self.comparison()

    def comparison(self) -> str:
        ftok = self.tok
        if ftok.kind != "ident" or str(ftok.value).upper() in KEYWORDS:
            self.fail()
        self.i += 1
        f = self.field(ftok)
        if not f.filterable:
            self.invalid(ftok, f"field '{f.name}' can not be filtered in a query call")
        col = f'"{f.name}"'
        nocase = " COLLATE NOCASE" if f.type in STRINGY else ""
        if self.tok.kind == "op":
            op = "!=" if self.tok.text == "<>" else str(self.tok.text)
            self.i += 1
            vtok = self.tok
            value = self.value(f)
            if isinstance(value, tuple):  # a date literal range
                return self.range_cmp(col, op, value)
            if value is None:
                if op not in ("=", "!="):
                    self.invalid(vtok, f"invalid operator on null value for field '{f.name}'", "MALFORMED_QUERY")
                return f"{col} IS {'NOT ' if op == '!=' else ''}NULL"
            self.params.append(value)
            if op == "!=":  # SOQL's != keeps null values, unlike SQL's
                return f"{col} IS NOT ?{nocase}"
            return f"{col} {op} ?{nocase}"
        negate = False
        if self.kw("NOT"):
            negate = True
            self.i += 1
            if not self.kw("IN"):
                self.fail()
        if self.kw("IN"):
            self.i += 1
            values = self.value_list(f)
            marks = ", ".join("?" for _ in values)
            self.params.extend(values)
            if negate:
                return f"({col} IS NULL OR {col}{nocase} NOT IN ({marks}))"
            return f"{col}{nocase} IN ({marks})"
        if self.kw("LIKE"):
            self.i += 1
            vtok = self.tok
            if vtok.kind != "string":
                self.fail()
            if f.type not in STRINGY - {"id", "reference"}:
                self.invalid(vtok, f"invalid operator on {f.type} field: LIKE")
            self.i += 1
            self.params.append(vtok.value.pattern)  # type: ignore[union-attr]
            return f"{col} LIKE ? ESCAPE '\\'"
        if self.kw("INCLUDES", "EXCLUDES"):
            word = str(self.tok.value).upper()
            self.i += 1
            values = self.value_list(f)
            # Multi-select picklists store values joined by ';'; match whole items.
            tests = []
            for v in values:
                self.params.append(f"%;{v};%")
                tests.append(f"(';' || {col} || ';') LIKE ?")
            test = " OR ".join(tests)
            return f"({test})" if word == "INCLUDES" else f"({col} IS NULL OR NOT ({test}))"
        self.fail()

    def range_cmp(self, col: str, op: str, rng: tuple[str, str]) -> str:
        start, end = rng
        sql = {"=": f"({col} >= ? AND {col} < ?)", "!=": f"({col} IS NULL OR {col} < ? OR {col} >= ?)",
               "<": f"{col} < ?", ">=": f"{col} >= ?", ">": f"{col} >= ?", "<=": f"{col} < ?"}[op]
        self.params.extend({"=": [start, end], "!=": [start, end], "<": [start], ">=": [start], ">": [end],
                            "<=": [end]}[op])
        return sql

    def value_list(self, f: FieldDef) -> list:
        self.expect("(")
        values = []
        while True:
            tok = self.tok
            v = self.value(f)
            if v is None or isinstance(v, tuple):
                self.fail(tok)
            values.append(v)
            if self.tok.text != ",":
                break
            self.i += 1
        self.expect(")")
        return values

    def value(self, f: FieldDef):
        """A literal checked against the field's type; date literals give a (start, end) text range."""
        tok = self.tok
        self.i += 1
        kind, t = tok.kind, f.type
        upper = str(tok.value).upper() if kind == "ident" else ""
        if kind == "ident" and upper == "NULL":
            return None
        if kind == "ident" and upper in ("TRUE", "FALSE"):
            if t != "boolean":
                self._type_error(tok, f)
            return int(upper == "TRUE")
        if kind == "ident" and (upper in DATE_LITERALS or upper in DATE_N_LITERALS):
            n = None
            if upper in DATE_N_LITERALS:
                self.expect(":")
                n = self.integer()
            if t not in ("date", "datetime"):
                self._type_error(tok, f)
            start, end = date_range(upper, n, self.today)
            if t == "date":
                return start.isoformat(), end.isoformat()
            return start.isoformat() + "T00:00:00.000Z", end.isoformat() + "T00:00:00.000Z"
        if kind == "string":
            if t not in STRINGY:
                self._type_error(tok, f)
            v = tok.value.value  # type: ignore[union-attr]
            return normalise_id(v) if t in ("id", "reference") and len(v) in (15, 18) else v
        if kind == "number":
            if t not in NUMERIC:
                self._type_error(tok, f)
            return tok.value
        if kind == "date":
            if t != "date":
                self._type_error(tok, f)
            return tok.value
        if kind == "datetime":
            if t != "datetime":
                self._type_error(tok, f)
            return utc_text(str(tok.value))
        self.fail(tok)

    def _type_error(self, tok: Token, f: FieldDef):
        want = {"boolean": "boolean", "date": "date", "datetime": "dateTime"}.get(f.type, "number")
        if f.type in STRINGY:
            self.invalid(tok, f"value of filter criterion for field '{f.name}' must be of type string and should "
                         "be enclosed in quotes")
        self.invalid(tok, f"value of filter criterion for field '{f.name}' must be of type {want} and should not "
                     "be enclosed in quotes")


def translate(soql: str, now: dt.datetime | None = None, objects: dict[str, ObjectDef] | None = None) -> Translation:
    """Parse `soql` (TODAY etc. relative to `now`, default the current UTC time)."""
    return Parser(soql.strip(), now, objects).parse()
