"""A JDBC profile as the connector reads it (connectors layer).

AppFlow's managed JDBC connector (and Amazon RDS for PostgreSQL, which is the same connector with
the driver fixed) takes its connection from the profile's credentials: the public CDK constructs
(cdklabs/cdk-appflow `jdbcsmalldatascale/profile.ts`, `amazonrdsforpostgresql/profile.ts`) send
`authenticationType: CUSTOM` with `credentialsMap` = {username, password, driver, hostname, port,
database} and empty `profileProperties`. The user guide (connectors-jdbc) names the same facts:
driver (`postgresql` or `mysql`), hostname, port, database, user name and password. Sluice also
reads them from `profileProperties` and from BASIC credentials, so a console-made profile
(properties + basic auth) works too. Nothing here is logged: the password stays in the object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sluice.connectors.base import ConnectorError, ProfileView

DRIVERS = ("postgresql", "mysql")
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
# Aliases users write for the two drivers AppFlow offers; MariaDB speaks MySQL's protocol.
_DRIVER_ALIASES = {"postgres": "postgresql", "postgresql": "postgresql", "pg": "postgresql",
                   "mysql": "mysql", "mariadb": "mysql"}


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """Where and as whom to connect."""

    driver: str
    hostname: str
    port: int
    database: str
    username: str
    password: str = field(repr=False)


def _flat(profile: ProfileView) -> dict[str, Any]:
    """Every connection fact the profile holds, credentials winning over properties."""
    values: dict[str, Any] = {}
    props = profile.properties
    inner = props.get("profileProperties") if isinstance(props.get("profileProperties"), Mapping) else props
    values.update({str(k): v for k, v in (inner or {}).items()})
    creds = profile.credentials
    custom = creds.get("custom")
    if isinstance(custom, Mapping) and isinstance(custom.get("credentialsMap"), Mapping):
        values.update({str(k): v for k, v in custom["credentialsMap"].items()})
    basic = creds.get("basic")
    if isinstance(basic, Mapping):
        values.update({k: basic[k] for k in ("username", "password") if k in basic})
    if isinstance(creds.get("credentialsMap"), Mapping):
        values.update({str(k): v for k, v in creds["credentialsMap"].items()})
    return values


def read_settings(profile: ProfileView, fixed_driver: str | None = None) -> DatabaseSettings:
    """The profile's connection settings; `InvalidArgument` naming what is missing or wrong."""
    values = _flat(profile)
    raw_driver = str(fixed_driver or values.get("driver") or "").strip().lower()
    driver = _DRIVER_ALIASES.get(raw_driver)
    if driver is None:
        raise ConnectorError("InvalidArgument", f"the profile's driver must be one of {', '.join(DRIVERS)}"
                             + (f", not {raw_driver!r}" if raw_driver else ""))
    missing = [k for k in ("hostname", "database", "username") if not str(values.get(k) or "").strip()]
    if missing:
        raise ConnectorError("InvalidArgument", f"the profile lacks {', '.join(missing)}")
    port_text = str(values.get("port") or DEFAULT_PORTS[driver]).strip()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConnectorError("InvalidArgument",
                             f"the profile's port must be a number from 1 to 65535, not {port_text!r}")
    return DatabaseSettings(driver, str(values["hostname"]).strip(), int(port_text), str(values["database"]).strip(),
                            str(values["username"]), str(values.get("password") or ""))
