"""deploy/grafana/sbc-dashboard.json: Grafana is not in Debian 12, so the
dashboard is checked here instead of by loading it: its structure (what
Grafana needs to import it), the panels an operator watches, every query
parsed by promtool (as recording rules in a generated file: `promtool query`
needs a server), and every metric it names documented as exported by sbcd in
docs/metrics.md. tests/integration/prometheus_rules_test.py checks the same
names against a live scrape."""

import json
import os
import re
import subprocess
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = os.path.join(REPO, "deploy", "grafana", "sbc-dashboard.json")
METRICS_DOC = os.path.join(REPO, "docs", "metrics.md")

# Grafana's own variables, replaced by what they stand for at query time.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "6h",
                     "$instance": ".*"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def load():
    with open(DASHBOARD) as f:
        return json.load(f)


def queries(dash):
    """(panel title, refId, expression) of every query, annotations included."""
    out = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            out.append((p["title"], t["refId"], t["expr"]))
    for a in dash.get("annotations", {}).get("list", []):
        if "expr" in a:
            out.append(("annotation " + a["name"], "A", a["expr"]))
    return out


def substitute(expr):
    for k, v in GRAFANA_VARIABLES.items():
        expr = expr.replace(k, v)
    return expr


def promtool_check(exprs):
    """promtool check rules over one recording rule per expression."""
    lines = ["groups:", "  - name: dashboard", "    rules:"]
    for i, e in enumerate(exprs):
        lines.append(f"      - record: dashboard:query_{i}")
        lines.append("        expr: " + json.dumps(e))
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        return subprocess.run(["promtool", "check", "rules", path], capture_output=True,
                              text=True, timeout=60)
    finally:
        os.unlink(path)


def documented_metrics():
    with open(METRICS_DOC) as f:
        text = f.read()
    section = text.split("## What exists today", 1)[1]
    return set(re.findall(r"^\| `(sbc_[a-z0-9_]+)`", section, re.M))


def metric_names(expr, exported):
    """The sbc_ metric names in expr; a histogram's _bucket/_sum/_count
    series count as the histogram's own name."""
    names = set()
    for n in re.findall(r"\bsbc_[a-z0-9_]+", expr):
        for s in HISTOGRAM_SUFFIXES:
            if n.endswith(s) and n[: -len(s)] in exported:
                n = n[: -len(s)]
        names.add(n)
    return names


class Structure(unittest.TestCase):
    def test_importable_shape(self):
        d = load()
        for key in ("title", "uid", "schemaVersion", "panels", "templating", "time"):
            self.assertIn(key, d)
        self.assertEqual(d["uid"], "sbc-overview")
        variables = {v["name"]: v for v in d["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        self.assertIn("sbc_build_info", variables["instance"]["definition"])

    def test_panels_have_unique_ids_fit_the_grid_and_do_not_overlap(self):
        d = load()
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids repeat")
        cells = set()
        for p in d["panels"]:
            g = p["gridPos"]
            for k in ("h", "w", "x", "y"):
                self.assertIsInstance(g[k], int, p["title"])
            self.assertGreater(g["w"], 0)
            self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), cells, f"{p['title']} overlaps another panel")
                    cells.add((x, y))

    def test_every_data_panel_queries_prometheus(self):
        for p in load()["panels"]:
            if p["type"] == "row":
                continue
            self.assertIn(p["type"], ("timeseries", "stat", "gauge", "table", "bargauge"))
            self.assertEqual(p["datasource"]["type"], "prometheus", p["title"])
            self.assertTrue(p["targets"], p["title"])
            refs = [t["refId"] for t in p["targets"]]
            self.assertEqual(len(refs), len(set(refs)), p["title"])
            for t in p["targets"]:
                self.assertTrue(t["expr"].strip(), p["title"])
            self.assertTrue(p.get("description"), f"{p['title']}: say what it shows")

    def test_the_panels_an_operator_watches_are_there(self):
        text = json.dumps(load())
        titles = " | ".join(p["title"] for p in load()["panels"]).lower()
        for words in ("asr per trunk", "call attempts per trunk", "channel use against caps",
                      "registrations", "drops by reason", "bans"):
            self.assertIn(words, titles)
        for metric in ("sbc_call_answers_total", "sbc_channels_max", "sbc_channels_active",
                       "sbc_registrations", "sbc_dataplane_dropped_packets_total"):
            self.assertIn(metric, text)


class Queries(unittest.TestCase):
    def test_every_query_parses_with_promtool(self):
        exprs = [substitute(e) for _, _, e in queries(load())]
        self.assertGreater(len(exprs), 15)
        for e in exprs:
            self.assertNotIn("$", e, f"a Grafana variable this test does not know: {e}")
        r = promtool_check(exprs)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_the_check_catches_a_broken_query(self):
        # So a passing check above means something.
        r = promtool_check(['sum by (peer) (rate(sbc_calls_total[5m])'])
        self.assertNotEqual(r.returncode, 0)

    def test_only_metrics_sbcd_exports(self):
        exported = documented_metrics()
        self.assertIn("sbc_calls_total", exported)
        self.assertIn("sbc_dataplane_dropped_packets_total", exported)
        for title, ref, e in queries(load()):
            missing = metric_names(e, exported) - exported
            self.assertEqual(missing, set(), f"{title} {ref} names metrics sbcd does not export")


if __name__ == "__main__":
    unittest.main(verbosity=2)
