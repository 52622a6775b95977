"""Deterministic, realistic records for the fake instance (users, groups, CIs, incidents, problems, changes).

Values are what the platform stores: choice fields hold their codes, references hold sys_ids, empty
fields are NULL (the Table API shows them as ""), datetimes are UTC "YYYY-MM-DD HH:MM:SS". Records are
produced by generators so benchmark-sized tables (hundreds of thousands of rows) stream into SQLite.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

FIRST = ["Abel", "Beth", "Chloé", "Dmitri", "Émile", "Fatima", "Günter", "Hana", "Ivan", "Jürgen", "Keiko",
         "Łukasz", "María José", "Ngozi", "Olúwaseun", "Priya", "Zoë", "Søren", "Thảo", "Ümit", "Wei", "李"]
LAST = ["Tuter", "Anglin", "Dubois", "Ivanov", "Müller", "Nakamura", "O'Brien", "Kowalski", "García",
        "Okafor", "Ng", "Sharma", "Ødegaard", "Nguyễn", "Yilmaz", "Zhang", "王", "Smith-Jones"]
TITLES = ["Service Desk Analyst", "Network Engineer", "DBA", "", "IT Manager", "Développeur", "SRE"]
GROUPS = ["Service Desk", "Network", "Database", "Hardware", "Software", "CAB Approval", "Incident Management",
          "Problem Solving", "Change Management", "Équipe Réseau", "Linux Ops", "Windows Ops"]
SUBJECTS = ["Email not syncing on mobile", "VPN disconnects every 5 minutes", "Printer on 3rd floor jammed",
            "Cannot log in to SAP", "Laptop fan noise 🔊", "Outlook crashes when opening calendar",
            "Réseau lent au bureau de Paris", "Datenbank-Timeout in der Buchhaltung", "Wi-Fi 接続できない",
            "Password reset for \"finance\" share", "Disk 95% full on db01, please check", "A^B test: caret in text",
            "Unable to access https://intranet.example.com/?a=1&b=2", "Request for new monitor, 27\""]
DESCRIPTIONS = ["", "User reports the issue started after the latest update.\nSteps attached.",
                "Multi-line\ndescription with tabs\tand ünïcödé.", "See related problem.", "Escalated by phone."]
SUBCATEGORY = {"inquiry": ["", "antivirus"], "software": ["email", "os", "operating system"],
               "hardware": ["monitor", "keyboard", "cpu"], "network": ["vpn", "wireless", "dns"],
               "database": ["db2", "oracle", "sql server"]}
CLOSE_CODES = ["Solved (Work Around)", "Solved (Permanently)", "Not Solved (Not Reproducible)",
               "Closed/Resolved by Caller"]
OSES = [("Linux Red Hat", "8.6"), ("Windows 2019 Datacenter", "10.0.17763"), ("Ubuntu", "22.04"), ("AIX", "7.2")]
EPOCH = dt.datetime(2023, 1, 1)
SPAN_SECONDS = 540 * 86400  # seeded activity spans about 18 months


def fmt(moment: dt.datetime) -> str:
    """ServiceNow's datetime text (UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def sys_id(rng: random.Random) -> str:
    """A 32-hex-digit sys_id."""
    return f"{rng.getrandbits(128):032x}"


class Seeder:
    """Generates rows table by table, remembering sys_ids other tables reference."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.ids: dict[str, list[str]] = {}

    def _stamps(self) -> tuple[str, str, int]:
        created = EPOCH + dt.timedelta(seconds=self.rng.randrange(SPAN_SECONDS))
        mods = self.rng.choice([0, 0, 1, 2, 5])
        updated = created + dt.timedelta(seconds=self.rng.randrange(1, 30 * 86400)) if mods else created
        return fmt(created), fmt(updated), mods

    def _system(self, table: str) -> dict:
        created, updated, mods = self._stamps()
        who = self.rng.choice(["admin", "system", "beth.anglin", "integration.user"])
        row = {"sys_id": sys_id(self.rng), "sys_created_on": created, "sys_created_by": who,
               "sys_updated_on": updated, "sys_updated_by": who, "sys_mod_count": mods}
        self.ids.setdefault(table, []).append(row["sys_id"])
        return row

    def _pick(self, table: str, empty_share: float = 0.1) -> str | None:
        pool = self.ids.get(table)
        if not pool or self.rng.random() < empty_share:
            return None
        return self.rng.choice(pool)

    def users(self, n: int) -> Iterator[dict]:
        """sys_user rows (the first is the admin itself)."""
        for i in range(n):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            user_name = "admin" if i == 0 else f"{first}.{last}.{i}".lower().replace(" ", "").replace("'", "")
            row = self._system("sys_user")
            row.update(user_name=user_name, first_name=first, last_name=last,
                       name="System Administrator" if i == 0 else f"{first} {last}",
                       email=None if i % 9 == 4 else f"{user_name}@example.com",
                       title=self.rng.choice(TITLES) or None, phone=None if i % 3 else f"+1 555 01{i % 100:02d}",
                       active="false" if i % 17 == 5 else "true", locked_out="false",
                       manager=self._pick("sys_user", 0.3), time_zone=self.rng.choice(["GMT", "Europe/Paris", None]))
            yield row

    def groups(self, n: int) -> Iterator[dict]:
        """sys_user_group rows."""
        for i in range(n):
            row = self._system("sys_user_group")
            name = GROUPS[i % len(GROUPS)] + ("" if i < len(GROUPS) else f" {i // len(GROUPS) + 1}")
            row.update(name=name, description=self.rng.choice(["", f"Handles {name.lower()} work"]) or None,
                       manager=self._pick("sys_user"), email=f"group{i}@example.com", active="true")
            yield row

    def cis(self, n_plain: int, n_servers: int) -> Iterator[dict]:
        """cmdb_ci rows followed by cmdb_ci_server rows (both live in the cmdb_ci hierarchy)."""
        for i in range(n_plain + n_servers):
            server = i >= n_plain
            row = self._system("cmdb_ci")
            row.update(sys_class_name="cmdb_ci_server" if server else "cmdb_ci",
                       name=f"{'srv' if server else 'ci'}-{i:05d}" + ("-münchen" if i % 11 == 3 else ""),
                       serial_number=None if i % 5 == 0 else f"SN{self.rng.getrandbits(40):010X}",
                       asset_tag=f"P{1000 + i}", install_status=self.rng.choice([1, 1, 1, 2, 3, 7]),
                       operational_status=self.rng.choice([1, 1, 2, 3]), assigned_to=self._pick("sys_user", 0.4),
                       support_group=self._pick("sys_user_group"),
                       cost=round(self.rng.uniform(50, 25000), 2) if i % 4 else None,
                       purchase_date=(EPOCH - dt.timedelta(days=self.rng.randrange(1500))).strftime("%Y-%m-%d"))
            if server:
                os_name, version = self.rng.choice(OSES)
                row.update(os=os_name, os_version=version,
                           ip_address=f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                           fqdn=f"srv-{i:05d}.corp.example.com", ram=self.rng.choice([4096, 8192, 16384, 65536]),
                           cpu_count=self.rng.choice([2, 4, 8, 16, 32]))
            yield row

    def _task(self, cls: str, prefix: str, i: int) -> dict:
        row = self._system(cls)
        state = self.rng.choice([1, 2, 2, 3, 6, 7, 7, 8])
        impact, urgency = self.rng.randint(1, 3), self.rng.randint(1, 3)
        closed = state in (6, 7, 8)
        opened = row["sys_created_on"]
        row.update(sys_class_name=cls, number=f"{prefix}{i + 10001:07d}", short_description=self.rng.choice(SUBJECTS),
                   description=self.rng.choice(DESCRIPTIONS) or None, state=state,
                   priority=min(5, impact + urgency - 1), impact=impact, urgency=urgency,
                   active="false" if closed else "true", assigned_to=self._pick("sys_user", 0.25),
                   assignment_group=self._pick("sys_user_group", 0.1), opened_by=self._pick("sys_user", 0.0),
                   opened_at=opened, closed_at=row["sys_updated_on"] if closed else None,
                   due_date=None if self.rng.random() < 0.7
                   else fmt(EPOCH + dt.timedelta(days=self.rng.randrange(600))),
                   cmdb_ci=self._pick("cmdb_ci", 0.5), reassignment_count=self.rng.choice([0, 0, 0, 1, 2, 4]),
                   work_hours=round(self.rng.uniform(0, 40), 2) if self.rng.random() < 0.4 else None)
        return row

    def problems(self, n: int) -> Iterator[dict]:
        """problem rows (task hierarchy)."""
        for i in range(n):
            row = self._task("problem", "PRB", i)
            row.update(problem_state=self.rng.choice([101, 102, 103, 104, 106, 107]),
                       known_error=self.rng.choice(["true", "false", "false"]),
                       cause_notes=self.rng.choice([None, "Root cause: expired certificate on the load balancer."]),
                       fix_notes=self.rng.choice([None, "Renewed the certificate; added monitoring ✔"]))
            yield row

    def incidents(self, n: int) -> Iterator[dict]:
        """incident rows (task hierarchy)."""
        for i in range(n):
            row = self._task("incident", "INC", i)
            category = self.rng.choice(list(SUBCATEGORY))
            resolved = row["state"] in (6, 7)
            row.update(caller_id=self._pick("sys_user", 0.05), category=category,
                       subcategory=self.rng.choice(SUBCATEGORY[category]) or None, severity=self.rng.randint(1, 3),
                       resolved_at=row["sys_updated_on"] if resolved else None,
                       close_code=self.rng.choice(CLOSE_CODES) if resolved else None,
                       problem_id=self._pick("problem", 0.8))
            yield row

    def changes(self, n: int) -> Iterator[dict]:
        """change_request rows (task hierarchy)."""
        for i in range(n):
            row = self._task("change_request", "CHG", i)
            start = EPOCH + dt.timedelta(hours=self.rng.randrange(13000))
            row.update(type=self.rng.choice(["standard", "normal", "normal", "emergency"]),
                       risk=self.rng.choice([2, 3, 4]),
                       start_date=fmt(start), end_date=fmt(start + dt.timedelta(hours=self.rng.choice([1, 2, 4, 8]))),
                       requested_by=self._pick("sys_user", 0.0), cab_required=self.rng.choice(["true", "false"]),
                       implementation_plan=self.rng.choice([None, "1. Drain node\n2. Patch\n3. Reboot & verify"]))
            yield row
