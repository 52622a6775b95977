"""Tables of the fake ServiceNow instance: columns, types, inheritance and choice labels.

ServiceNow stores a table hierarchy in one physical table (`task` holds incident, problem and
change_request rows, told apart by `sys_class_name`); a child table's dictionary lists only the
columns it adds, the rest are inherited through `sys_db_object.super_class`. The fake keeps the same
model: one SQLite table per hierarchy root, and `sys_db_object` / `sys_dictionary` rows derived from
the definitions below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# SQLite storage class per ServiceNow internal type; everything else is TEXT.
INTEGER_TYPES = frozenset({"integer"})
REAL_TYPES = frozenset({"decimal", "float"})


@dataclass(frozen=True)
class Column:
    """One dictionary entry (`sys_dictionary` row) of a table."""

    element: str
    label: str
    internal_type: str = "string"
    max_length: int = 40
    mandatory: bool = False
    reference: str | None = None  # the referenced table, for internal_type "reference"
    choices: dict[str, str] | None = None  # stored value -> display label
    display: bool = False  # the table's display field (shown for references)
    primary: bool = False


@dataclass(frozen=True)
class Table:
    """A `sys_db_object` row and the columns the table itself declares."""

    name: str
    label: str
    columns: tuple[Column, ...]
    super_class: str | None = None
    extendable: bool = False
    read_roles: frozenset[str] = field(default_factory=frozenset)  # empty: any authenticated user


def _system_columns() -> tuple[Column, ...]:
    """The columns every base table gets (sys_id and the audit stamps)."""
    return (
        Column("sys_id", "Sys ID", "GUID", 32, primary=True),
        Column("sys_created_on", "Created", "glide_date_time"),
        Column("sys_created_by", "Created by", "string", 40),
        Column("sys_updated_on", "Updated", "glide_date_time"),
        Column("sys_updated_by", "Updated by", "string", 40),
        Column("sys_mod_count", "Updates", "integer"),
    )


STATE = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"}
PRIORITY = {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low", "5": "5 - Planning"}
IMPACT = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}
INSTALL_STATUS = {"1": "Installed", "2": "On Order", "3": "In Maintenance", "7": "Retired"}
OPERATIONAL_STATUS = {"1": "Operational", "2": "Non-Operational", "3": "Repair in Progress"}
CATEGORY = {"inquiry": "Inquiry / Help", "software": "Software", "hardware": "Hardware", "network": "Network",
            "database": "Database"}
CHANGE_TYPE = {"standard": "Standard", "normal": "Normal", "emergency": "Emergency"}
RISK = {"2": "High", "3": "Moderate", "4": "Low"}
PROBLEM_STATE = {"101": "New", "102": "Assess", "103": "Root Cause Analysis", "104": "Fix in Progress",
                 "106": "Resolved", "107": "Closed"}

TABLES: tuple[Table, ...] = (
    Table("sys_user", "User", (
        *_system_columns(),
        Column("user_name", "User ID", "string", 40, mandatory=True),
        Column("first_name", "First name", "string", 50),
        Column("last_name", "Last name", "string", 50),
        Column("name", "Name", "string", 151, display=True),
        Column("email", "Email", "email", 100),
        Column("title", "Title", "string", 60),
        Column("phone", "Business phone", "ph_number", 40),
        Column("active", "Active", "boolean"),
        Column("locked_out", "Locked out", "boolean"),
        Column("manager", "Manager", "reference", 32, reference="sys_user"),
        Column("time_zone", "Time zone", "string", 40),
    ), extendable=True),
    Table("sys_user_group", "Group", (
        *_system_columns(),
        Column("name", "Name", "string", 80, mandatory=True, display=True),
        Column("description", "Description", "string", 1000),
        Column("manager", "Manager", "reference", 32, reference="sys_user"),
        Column("email", "Group email", "email", 100),
        Column("active", "Active", "boolean"),
    )),
    Table("cmdb_ci", "Configuration Item", (
        *_system_columns(),
        Column("sys_class_name", "Class", "sys_class_name", 80),
        Column("name", "Name", "string", 255, display=True),
        Column("serial_number", "Serial number", "string", 255),
        Column("asset_tag", "Asset tag", "string", 40),
        Column("install_status", "Status", "integer", choices=INSTALL_STATUS),
        Column("operational_status", "Operational status", "integer", choices=OPERATIONAL_STATUS),
        Column("assigned_to", "Assigned to", "reference", 32, reference="sys_user"),
        Column("support_group", "Support group", "reference", 32, reference="sys_user_group"),
        Column("cost", "Cost", "decimal", 20),
        Column("purchase_date", "Purchased", "glide_date"),
    ), extendable=True),
    Table("cmdb_ci_server", "Server", (
        Column("os", "Operating System", "string", 40),
        Column("os_version", "OS Version", "string", 40),
        Column("ip_address", "IP Address", "ip_addr", 255),
        Column("fqdn", "Fully qualified domain name", "string", 255),
        Column("ram", "RAM (MB)", "integer"),
        Column("cpu_count", "CPU count", "integer"),
    ), super_class="cmdb_ci", extendable=True),
    Table("task", "Task", (
        *_system_columns(),
        Column("sys_class_name", "Task type", "sys_class_name", 80),
        Column("number", "Number", "string", 40, display=True),
        Column("short_description", "Short description", "string", 160),
        Column("description", "Description", "string", 4000),
        Column("state", "State", "integer", choices=STATE),
        Column("priority", "Priority", "integer", choices=PRIORITY),
        Column("impact", "Impact", "integer", choices=IMPACT),
        Column("urgency", "Urgency", "integer", choices=IMPACT),
        Column("active", "Active", "boolean"),
        Column("assigned_to", "Assigned to", "reference", 32, reference="sys_user"),
        Column("assignment_group", "Assignment group", "reference", 32, reference="sys_user_group"),
        Column("opened_by", "Opened by", "reference", 32, reference="sys_user"),
        Column("opened_at", "Opened", "glide_date_time", mandatory=True),
        Column("closed_at", "Closed", "glide_date_time"),
        Column("due_date", "Due date", "glide_date_time"),
        Column("cmdb_ci", "Configuration item", "reference", 32, reference="cmdb_ci"),
        Column("reassignment_count", "Reassignment count", "integer"),
        Column("work_hours", "Work hours", "decimal", 20),
    ), extendable=True),
    Table("incident", "Incident", (
        Column("caller_id", "Caller", "reference", 32, reference="sys_user"),
        Column("category", "Category", "string", 40, choices=CATEGORY),
        Column("subcategory", "Subcategory", "string", 40),
        Column("severity", "Severity", "integer", choices=IMPACT),
        Column("resolved_at", "Resolved", "glide_date_time"),
        Column("close_code", "Resolution code", "string", 40),
        Column("problem_id", "Problem", "reference", 32, reference="problem"),
    ), super_class="task", extendable=True),
    Table("problem", "Problem", (
        Column("problem_state", "Problem state", "integer", choices=PROBLEM_STATE),
        Column("known_error", "Known error", "boolean"),
        Column("cause_notes", "Cause notes", "string", 4000),
        Column("fix_notes", "Fix notes", "string", 4000),
    ), super_class="task", extendable=True),
    Table("change_request", "Change Request", (
        Column("type", "Type", "string", 40, choices=CHANGE_TYPE),
        Column("risk", "Risk", "integer", choices=RISK),
        Column("start_date", "Planned start date", "glide_date_time"),
        Column("end_date", "Planned end date", "glide_date_time"),
        Column("requested_by", "Requested by", "reference", 32, reference="sys_user"),
        Column("cab_required", "CAB required", "boolean"),
        Column("implementation_plan", "Implementation plan", "string", 4000),
    ), super_class="task", extendable=True),
    Table("sys_db_object", "Table", (
        *_system_columns(),
        Column("name", "Name", "string", 80, mandatory=True, display=True),
        Column("label", "Label", "string", 80),
        Column("super_class", "Extends table", "reference", 32, reference="sys_db_object"),
        Column("is_extendable", "Extensible", "boolean"),
    ), read_roles=frozenset({"admin", "personalize_dictionary"})),
    Table("sys_dictionary", "Dictionary Entry", (
        *_system_columns(),
        Column("name", "Table", "string", 80, mandatory=True),
        Column("element", "Column name", "string", 80, display=True),
        Column("column_label", "Column label", "string", 80),
        Column("internal_type", "Type", "reference", 32, reference="sys_glide_object"),
        Column("max_length", "Max length", "integer"),
        Column("reference", "Reference", "reference", 32, reference="sys_db_object"),
        Column("primary", "Primary", "boolean"),
        Column("mandatory", "Mandatory", "boolean"),
        Column("read_only", "Read only", "boolean"),
        Column("display", "Display", "boolean"),
        Column("active", "Active", "boolean"),
    ), read_roles=frozenset({"admin", "personalize_dictionary"})),
)

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# References that hold the referenced record's name instead of its sys_id: (table, column).
NAME_KEYED = frozenset({("sys_dictionary", "internal_type"), ("sys_dictionary", "reference")})


def root(name: str) -> str:
    """The hierarchy root whose physical table stores `name`'s rows (task for incident)."""
    table = BY_NAME[name]
    while table.super_class:
        table = BY_NAME[table.super_class]
    return table.name


def lineage(name: str) -> list[Table]:
    """`name` and its ancestors, root first."""
    chain = [BY_NAME[name]]
    while chain[-1].super_class:
        chain.append(BY_NAME[chain[-1].super_class])
    return list(reversed(chain))


def columns(name: str) -> list[Column]:
    """Every column a table has, inherited ones first (as a record of the table shows them)."""
    return [c for t in lineage(name) for c in t.columns]


def storage_columns(root_name: str) -> list[Column]:
    """The physical columns of a hierarchy: the union over the root and all its descendants."""
    seen: dict[str, Column] = {}
    for table in TABLES:
        if root(table.name) == root_name:
            for c in table.columns:
                seen.setdefault(c.element, c)
    return list(seen.values())


def descendants(name: str) -> list[str]:
    """`name` and every table extending it (directly or not)."""
    out = [name]
    for table in TABLES:
        if table.super_class and table.super_class in out and table.name not in out:
            out.append(table.name)
    # A second pass catches grandchildren declared before their parents.
    for table in TABLES:
        if table.super_class in out and table.name not in out:
            out.append(table.name)
    return out


def sql_type(column: Column) -> str:
    """The SQLite column type used to store a ServiceNow column."""
    if column.internal_type in INTEGER_TYPES:
        return "INTEGER"
    if column.internal_type in REAL_TYPES:
        return "REAL"
    return "TEXT"
