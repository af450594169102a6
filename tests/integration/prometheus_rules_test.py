"""deploy/prometheus: the rule files pass promtool (check and unit tests),
and every metric they and the Grafana dashboard name is one a running sbcd
(on its DPDK dataplane, in the lab) actually exports: an alert or a panel on
a metric that does not exist would never show anything."""

import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402

RULES_DIR = os.path.join(labkit.REPO, "deploy", "prometheus")
DASHBOARD = os.path.join(labkit.REPO, "deploy", "grafana", "sbc-dashboard.json")


class PrometheusRules(unittest.TestCase):
    def test_promtool_checks_and_unit_tests(self):
        for args in (["check", "rules", "sbc-rules.yml"], ["test", "rules", "sbc-rules.test.yml"],
                     ["check", "config", "prometheus.yml"]):
            r = subprocess.run(["promtool"] + args, cwd=RULES_DIR, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_every_metric_in_the_rules_and_the_dashboard_is_exported(self):
        with open(os.path.join(RULES_DIR, "sbc-rules.yml")) as f:
            text = f.read()
        exprs = " ".join(re.findall(r"expr:\s*(.*)", text))
        with open(DASHBOARD) as f:
            dash = json.load(f)
        exprs += " " + " ".join(t["expr"] for p in dash["panels"] for t in p.get("targets", []))
        wanted = set(re.findall(r"\bsbc_[a-z0-9_]+", exprs))
        self.assertIn("sbc_call_answers_total", wanted)
        with labkit.Lab("dataplane") as lab:
            policy = labkit.lab_policy(lab) + """peers:
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10, auth: {mode: ip}, channels: {max: 30},
     cps: {rate: 10, alert_at: 8}, probe: {interval: 300ms, failures: 1, recovery: 1}}
  - {name: alice, kind: phone, leg: access, auth: {username: alice, password: "Zq8#vL2m-Tr5pW"}}
timers: {probe_timeout: 200ms}
"""
            # The carrier answers (at most 200) probes, so its round-trip
            # time is published (the dashboard draws it).
            with labkit.SippServer(lab, "carA", "options_uas.xml", "198.18.2.10", calls=200,
                                   timeout_s=120), \
                    labkit.Sbcd(lab, policy, dataplane=True) as sbcd:
                deadline = time.monotonic() + 20
                while True:
                    exported = set(re.findall(r"^(sbc_[a-z0-9_]+)", sbcd.metrics(), re.M))
                    missing = wanted - exported
                    if not missing or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)  # per-peer series appear after the first probe
        self.assertEqual(missing, set(), f"rules name metrics sbcd does not export: {missing}")


if __name__ == "__main__":
    labkit.run_root_tests()
