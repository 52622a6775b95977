"""What the fake Customer Profiles service holds, and the controls tests use (not part of the API).

Domains hold object types (`PutProfileObjectType`: `Fields` name a `Source` such as
`_source.AccountId` and a `Target`; `Keys` group field names with `StandardIdentifiers` such as
`PROFILE` and `UNIQUE`) and profile objects. `PutProfileObject` behaves as the reference
describes: the object is a JSON document (at most 256,000 characters); its `UNIQUE` key's value
identifies it (putting the same key again replaces the object) and is returned as
`ProfileObjectUniqueKey`; its `PROFILE` key finds the profile it belongs to, or creates one when
the object type has `AllowProfileCreation`. An object without a value for its unique key is
refused (`BadRequestException`).

Controls: `throttle_next(n)` answers the next `n` requests with 429 `ThrottlingException`;
`reject_when(field, value)` refuses objects whose `field` has `value`; `requests` logs every call.
`seed_objects` fills the domain `seeded` with that many objects (a fixed random seed) for paging.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.common.https import RequestLog

DEFAULT_ACCESS_KEY = "AKIDPROFILESTEST0001"
DEFAULT_SECRET_KEY = "profiles-test-secret-0000000000000000000"
MAX_OBJECT_CHARS = 256_000


class ApiError(Exception):
    """An error answer: the modelled exception name, its HTTP status and message."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


@dataclass
class Domain:
    name: str
    expiration_days: int
    created_at: float
    object_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (type, unique key) -> object
    profiles: dict[str, str] = field(default_factory=dict)  # profile key value -> profile id
    tags: dict[str, str] = field(default_factory=dict)


class CustomerProfilesState:
    """Domains for one AWS account, the keys that may sign requests, and the test controls."""

    def __init__(self, seed_objects: int = 0, seed: int = 5, access_key: str = DEFAULT_ACCESS_KEY,
                 secret_key: str = DEFAULT_SECRET_KEY) -> None:
        self.keys = {access_key: secret_key}
        self.domains: dict[str, Domain] = {}
        self.requests = RequestLog()
        self.lock = threading.Lock()
        self._throttle = 0
        self._rejections: list[tuple[str, Any]] = []
        if seed_objects:
            self._seed(seed_objects, seed)

    # -- controls -------------------------------------------------------------------------
    def throttle_next(self, count: int) -> None:
        """Answer the next `count` requests with 429 ThrottlingException."""
        with self.lock:
            self._throttle += count

    def take_throttle(self) -> bool:
        with self.lock:
            if self._throttle:
                self._throttle -= 1
                return True
            return False

    def reject_when(self, field_name: str, value: Any) -> None:
        """Refuse (BadRequestException) objects whose `field_name` is `value`."""
        self._rejections.append((field_name, value))

    def objects(self, domain: str, object_type: str | None = None) -> list[dict[str, Any]]:
        """The objects stored in `domain` (parsed), optionally of one type."""
        with self.lock:
            return [json.loads(o["Object"]) for (kind, _), o in self.domains[domain].objects.items()
                    if object_type in (None, kind)]

    # -- operations -----------------------------------------------------------------------
    def domain(self, name: str) -> Domain:
        found = self.domains.get(name)
        if found is None:
            raise ApiError("ResourceNotFoundException", 404, f"Domain {name} does not exist")
        return found

    def create_domain(self, name: str, body: dict[str, Any]) -> Domain:
        if "DefaultExpirationDays" not in body:
            raise ApiError("BadRequestException", 400, "DefaultExpirationDays is required")
        with self.lock:
            if name in self.domains:
                raise ApiError("BadRequestException", 400, f"Domain {name} already exists")
            domain = Domain(name, int(body["DefaultExpirationDays"]), time.time(), tags=body.get("Tags") or {})
            self.domains[name] = domain
            return domain

    def put_object_type(self, domain_name: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        domain = self.domain(domain_name)
        if not body.get("Description"):
            raise ApiError("BadRequestException", 400, "Description is required")
        for key_name, keys in (body.get("Keys") or {}).items():
            for key in keys:
                missing = [f for f in key.get("FieldNames") or [] if f not in (body.get("Fields") or {})]
                if missing:
                    raise ApiError("BadRequestException", 400,
                                   f"Key {key_name} names fields that are not in Fields: {', '.join(missing)}")
        now = time.time()
        with self.lock:
            previous = domain.object_types.get(name)
            definition = {"ObjectTypeName": name, **body, "CreatedAt": previous["CreatedAt"] if previous else now,
                          "LastUpdatedAt": now}
            definition.setdefault("AllowProfileCreation", False)
            domain.object_types[name] = definition
            return definition

    def object_type(self, domain_name: str, name: str) -> dict[str, Any]:
        found = self.domain(domain_name).object_types.get(name)
        if found is None:
            raise ApiError("ResourceNotFoundException", 404,
                           f"Object type {name} does not exist in domain {domain_name}")
        return found

    def put_object(self, domain_name: str, body: dict[str, Any]) -> str:
        object_type = self.object_type(domain_name, str(body.get("ObjectTypeName") or ""))
        text = body.get("Object")
        if not isinstance(text, str) or not text:
            raise ApiError("BadRequestException", 400, "Object is required")
        if len(text) > MAX_OBJECT_CHARS:
            raise ApiError("BadRequestException", 400, "1 validation error detected: Value at 'object' failed to "
                           f"satisfy constraint: Member must have length less than or equal to {MAX_OBJECT_CHARS}")
        try:
            document = json.loads(text)
        except ValueError:
            raise ApiError("BadRequestException", 400, "Object is not a valid JSON document") from None
        if not isinstance(document, dict):
            raise ApiError("BadRequestException", 400, "Object must be a JSON object")
        for name, value in self._rejections:
            if document.get(name) == value:
                raise ApiError("BadRequestException", 400, f"Object refused: {name} is {value!r}")
        unique = self._key_value(object_type, document, "UNIQUE")
        if unique == "":
            raise ApiError("BadRequestException", 400, "Object has no value for the object type's UNIQUE key")
        profile_key = self._key_value(object_type, document, "PROFILE")
        domain = self.domain(domain_name)
        with self.lock:
            profile_id = domain.profiles.get(profile_key or "")
            if profile_id is None and profile_key:
                if not object_type.get("AllowProfileCreation"):
                    raise ApiError("BadRequestException", 400, "No profile matches the object and the object type "
                                   "does not allow profile creation")
                profile_id = uuid.uuid4().hex
                domain.profiles[profile_key] = profile_id
            key = unique if unique is not None else uuid.uuid4().hex
            domain.objects[(object_type["ObjectTypeName"], key)] = {
                "Object": text, "ObjectTypeName": object_type["ObjectTypeName"], "ProfileObjectUniqueKey": key,
                "ProfileId": profile_id}
        return key

    def list_objects(self, domain_name: str, body: dict[str, Any], max_results: int,
                     token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        domain = self.domain(domain_name)
        if not body.get("ObjectTypeName") or not body.get("ProfileId"):
            raise ApiError("BadRequestException", 400, "ObjectTypeName and ProfileId are required")
        with self.lock:
            items = [{"ObjectTypeName": o["ObjectTypeName"], "ProfileObjectUniqueKey": o["ProfileObjectUniqueKey"],
                      "Object": o["Object"]} for o in domain.objects.values()
                     if o["ObjectTypeName"] == body["ObjectTypeName"] and o["ProfileId"] == body["ProfileId"]]
        start = int(token or 0)
        end = start + max_results
        return items[start:end], (str(end) if end < len(items) else None)

    # -- seeding --------------------------------------------------------------------------
    @staticmethod
    def _key_value(object_type: dict[str, Any], document: dict[str, Any], identifier: str) -> str | None:
        """The text of the fields of the first key marked `identifier` ("" when they are empty; None: no such key)."""
        for keys in (object_type.get("Keys") or {}).values():
            for key in keys:
                if identifier in (key.get("StandardIdentifiers") or []):
                    values = []
                    for field_name in key.get("FieldNames") or []:
                        source = str(object_type["Fields"][field_name].get("Source") or "")
                        value = document.get(source.removeprefix("_source."))
                        values.append("" if value is None else str(value))
                    return "|".join(values) if all(values) else ""
        return None

    def _seed(self, count: int, seed: int) -> None:
        rng = random.Random(seed)
        self.create_domain("seeded", {"DefaultExpirationDays": 365})
        self.put_object_type("seeded", "Account", ACCOUNT_TYPE)
        for index in range(count):
            document = {"AccountId": f"A{index:06d}", "Name": rng.choice(["Zoë", "Łukasz", "Ana", "李"]) + f" {index}",
                        "Email": None if index % 5 == 0 else f"a{index}@example.com",
                        "Address": {"City": rng.choice(["Oslo", "Lyon"]), "Lines": ["1 Main St", None]}}
            self.put_object("seeded", {"ObjectTypeName": "Account", "Object": json.dumps(document)})


# An object type keyed by AccountId (a profile per account), as the reference's examples map one.
ACCOUNT_TYPE: dict[str, Any] = {
    "Description": "Accounts from AppFlow",
    "AllowProfileCreation": True,
    "Fields": {
        "AccountId": {"Source": "_source.AccountId", "Target": "_profile.AccountNumber", "ContentType": "STRING"},
        "Name": {"Source": "_source.Name", "Target": "_profile.BusinessName", "ContentType": "STRING"},
    },
    "Keys": {"_account": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["AccountId"]}]},
}
