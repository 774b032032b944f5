"""deploy/prometheus/alerts.yml, the sample Prometheus alert rules: it parses, mirrors every
built-in alert rule, and asks only for metrics the app exports."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from test_metrics import FAMILIES

PATH = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
# The built-in rules (monitoring/alert_rules.py, RULES).
BUILT_IN = ("site_down", "site_slow", "uptime_low", "domain_lost", "provisioning_failed",
            "provisioning_stuck", "stripe_events_failing", "stripe_events_backlog",
            "queue_backlog", "workers_missing", "mail_failing", "payment_failures_surge")


def alert_rules() -> list[dict]:
    document = yaml.safe_load(PATH.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_built_in_rule_has_its_alert():
    rules = alert_rules()
    assert all(rule["alert"] and rule["expr"] for rule in rules)
    mirrored = {rule["labels"]["rule"]: rule["expr"] for rule in rules if "rule" in rule["labels"]}
    assert set(mirrored) == set(BUILT_IN)
    for name, expr in mirrored.items():
        assert f'contyzr_open_incidents{{rule="{name}"}}' in expr


def test_alerts_ask_for_exported_metrics_only():
    asked = {re.sub(r"_(total|bucket|count|sum)$", "", name)
             for rule in alert_rules() for name in re.findall(r"contyzr_[a-z_]+", rule["expr"])}
    assert asked <= set(FAMILIES), asked - set(FAMILIES)
