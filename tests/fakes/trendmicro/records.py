"""Seeded Deep Security objects, made lazily from their index (a fixed seed per record).

Shapes follow the API reference's models (the `deep-security-api` 20.0 SDK's `Computer`, `Policy`,
`IntrusionPreventionRule`, `SoftwareChange` and `Administrator`): camelCase members, `ID` as the key,
dates as epoch milliseconds, nested extensions (`computerStatus`, `antiMalware`, ...), nulls where a
value is absent, and free text that is not ASCII.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

START_MS = 1_793_491_200_000  # 2026-11-01T00:00:00Z
STEP_MS = 60_000  # one object a minute, in ID order
NAMES = ["web", "db", "cache", "édge", "処理", "batch", "gateway", "mörk"]
PLATFORMS = ["Amazon Linux 2 (64 bit)", "Microsoft Windows Server 2022 (64 bit)", "Ubuntu Linux 22 (64 bit)", None]
VENDORS = [("Mozilla", "Firefox"), ("Microsoft", "Edge"), ("Oracle", "Java™ SE"), ("Zoë Tools", "zoë-cli")]


def _rng(kind: str, index: int, seed: int) -> random.Random:
    return random.Random(f"{kind}:{seed}:{index}")


def computer(index: int, seed: int) -> dict[str, Any]:
    rng = _rng("computer", index, seed)
    host = f"{rng.choice(NAMES)}-{index:05d}"
    on_ec2 = rng.random() < 0.5
    return {
        "ID": index + 1,
        "hostName": f"{host}.example.internal",
        "displayName": host if rng.random() < 0.8 else "",
        "description": rng.choice(["", "Production server — 本番", None]),
        "lastIPUsed": f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
        "platform": rng.choice(PLATFORMS),
        "groupID": rng.randint(0, 12),
        "policyID": rng.randint(1, 9),
        "agentVersion": rng.choice(["20.0.0-8438", "20.0.1-690", "0.0.0"]),
        "hostGUID": f"{rng.getrandbits(128):032X}",
        "lastAgentCommunication": START_MS + index * STEP_MS,
        "lastSendPolicySuccess": START_MS + index * STEP_MS - rng.randint(0, 3_600_000),
        "computerStatus": {
            "agentStatus": rng.choice(["active", "warning", "error", "inactive"]),
            "agentStatusMessages": rng.choice([["Managed (Online)"], ["Offline", "Reboot required"], []]),
        },
        "antiMalware": {"state": rng.choice(["on", "off"]), "moduleStatus": {"agentStatus": "active",
                                                                          "agentStatusMessage": "On, Real Time"}},
        # Members of the API's `EC2VirtualMachineSummary` (it has no region or tags: `availabilityZone` and the
        # `metadata` name/value list carry them).
        "ec2VirtualMachineSummary": {"cloudProvider": "amazon", "instanceID": f"i-{rng.getrandbits(60):015x}",
                                     "availabilityZone": "eu-west-1a", "state": "running",
                                     "metadata": [{"name": "team", "value": rng.choice(["sécurité", "ops"])}]}
        if on_ec2 else None,
    }


def policy(index: int, seed: int) -> dict[str, Any]:
    rng = _rng("policy", index, seed)
    return {
        "ID": index + 1,
        "parentID": 0 if index < 3 else rng.randint(1, 3),
        "name": f"{rng.choice(['Base', 'Linux', 'Windows', 'Sécurité'])} Policy {index}",
        "description": rng.choice(["", "Applies to all web tiers (Zürich)", None]),
        "recommendationScanMode": rng.choice(["off", "ongoing"]),
        "autoRequiresUpdate": rng.choice(["on", "off"]),  # the API's two values (no "inherited")
        "policySettings": {
            "firewallSettingEngineOptionVerifyTcpChecksumEnabled": {"value": rng.choice(["true", "false"])},
            "platformSettingAgentCommunicationsDirection": {"value": "Bidirectional"},
        },
        # A policy's module status is `{status, statusMessage}` (a computer's names agent and appliance).
        "antiMalware": {"state": rng.choice(["on", "off"]),
                        "moduleStatus": {"status": "inactive", "statusMessage": "Off, not installed"}},
        "firewall": {"state": rng.choice(["on", "off", "inherited"]),
                     "ruleIDs": sorted(rng.sample(range(1, 200), rng.randint(0, 4)))},
        "intrusionPrevention": {"state": "prevent", "ruleIDs": sorted(rng.sample(range(1, 900), rng.randint(0, 6)))},
    }


def intrusion_prevention_rule(index: int, seed: int) -> dict[str, Any]:
    rng = _rng("ipr", index, seed)
    year = 2014 + index % 12
    return {
        "ID": index + 1,
        "name": f"{1000000 + index} - {rng.choice(['Apache', 'OpenSSL', 'Microsoft Windows', 'Log4j'])} "
                f"{rng.choice(['Remote Code Execution', 'Denial Of Service', 'Information Disclosure'])}",
        "description": rng.choice(["", "Détecte une vulnérabilité connue.", None]),
        "identifier": f"{1000000 + index}",
        "severity": rng.choice(["low", "medium", "high", "critical"]),
        "priority": rng.choice(["lowest", "low", "normal", "high", "highest"]),
        "type": rng.choice(["exploit", "vulnerability", "smart", "policy"]),
        "action": rng.choice(["drop", "log-only", None]),
        "detectOnly": rng.random() < 0.2,
        "applicationTypeID": rng.randint(1, 40),
        "CVSSScore": f"{rng.uniform(2, 10):.1f}" if rng.random() < 0.9 else None,
        "CVE": [f"CVE-{year}-{rng.randint(1000, 49999)}" for _ in range(rng.randint(0, 3))],
        "recommendationsMode": rng.choice(["enabled", "ignored", "unknown"]),
        "originalIssue": START_MS - 86_400_000 * rng.randint(30, 3000),
        "lastUpdated": START_MS + index * STEP_MS,
    }


def software_change(index: int, seed: int, at_ms: int | None = None) -> dict[str, Any]:
    rng = _rng("change", index, seed)
    vendor, product = rng.choice(VENDORS)
    return {
        "ID": index + 1,
        "computerID": rng.randint(1, 500),
        "computerGroupID": rng.randint(0, 12),
        "vendorName": vendor,
        "productName": product,
        "productVersion": f"{rng.randint(1, 130)}.{rng.randint(0, 9)}",
        "fileName": rng.choice(["setup.exe", "java", "zoë-cli", "アップデート.msi"]),
        "installPath": rng.choice(["C:\\Program Files\\", "/usr/local/bin/", None]),
        "fileSize": rng.randint(1_000, 90_000_000),
        "sha256": f"{rng.getrandbits(256):064x}",
        "changeByUser": rng.choice(["root", "SYSTEM", "jürgen", None]),
        "changeByProcess": rng.choice(["/usr/bin/dpkg", "msiexec.exe", None]),
        "changeEventTime": at_ms if at_ms is not None else START_MS + index * STEP_MS,
    }


def administrator(index: int, seed: int) -> dict[str, Any]:
    rng = _rng("admin", index, seed)
    first = rng.choice(["Ana", "Björn", "Chloé", "大輔", "Eve"])
    return {
        "ID": index + 1,
        "username": f"user{index}",
        "password": None,  # the API never returns it
        "fullName": f"{first} {rng.choice(['Smith', 'Núñez', '山田'])}",
        "emailAddress": f"user{index}@example.com" if rng.random() < 0.9 else None,
        "roleID": rng.randint(1, 4),
        "active": rng.random() < 0.85,
        "type": rng.choice(["normal", "temporary"]),
        "timeZone": rng.choice(["UTC", "Europe/Berlin", "Asia/Tokyo"]),
        "created": START_MS - 86_400_000 * rng.randint(1, 900),
        "lastSignIn": START_MS + index * STEP_MS,
    }


# The objects the fake serves: URL segment -> (the answer's list member, the record maker).
OBJECTS: dict[str, tuple[str, Callable[[int, int], dict[str, Any]]]] = {
    "computers": ("computers", computer),
    "policies": ("policies", policy),
    "intrusionpreventionrules": ("intrusionPreventionRules", intrusion_prevention_rule),
    "softwarechanges": ("softwareChanges", software_change),
    "administrators": ("administrators", administrator),
}
