"""The acceptance suite against a lab (tools/acceptance --lab): every case
passes on the real sbcd with its DPDK dataplane, and the report it writes
records the deployment and each case's evidence (media counts each way)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402

TOOL = os.path.join(labkit.REPO, "tools", "acceptance")


class AcceptanceSuiteOnTheLab(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="acceptance-test-")
        cls.report = os.path.join(cls.tmp, "report.md")
        cls.results = os.path.join(cls.tmp, "results.json")
        # Bounded: 5 calls/s for 6 s in the high-volume case, 2 s failover timer.
        plan = os.path.join(cls.tmp, "plan.json")
        with open(plan, "w") as f:
            json.dump({"high_volume": {"rate": 5, "seconds": 6, "max_failure_ratio": 0.0},
                       "interruption": {"seconds": 3}, "rtp_packets": 40}, f)
        cls.proc = subprocess.run([TOOL, "--lab", "--plan", plan, "--report", cls.report,
                                  "--json", cls.results], capture_output=True, text=True,
                                 timeout=280)
        print(cls.proc.stdout[-6000:], cls.proc.stderr[-3000:])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def results_by_case(self):
        with open(self.results) as f:
            return {r["case"]: r for r in json.load(f)["results"]}

    def test_every_case_passes(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stdout[-4000:])
        res = self.results_by_case()
        self.assertEqual(set(res), {"normal_call", "release", "busy", "offline", "wrong_number",
                                    "fallback_503", "fallback_timeout", "channel_cap",
                                    "high_volume", "network_interruption", "nat_phone"})
        self.assertEqual({r["result"] for r in res.values()}, {"pass"},
                         {k: r["why"] for k, r in res.items()})

    def test_media_counted_both_ways(self):
        res = self.results_by_case()
        for case in ("normal_call", "nat_phone"):
            for m in res[case]["evidence"]["_media"]:
                self.assertEqual(m["caller_to_callee"]["received"], 40, m)
                self.assertEqual(m["callee_to_caller"]["received"], 40, m)
                # Each side sees the media come from the SBC, never the far end.
                for d in ("caller_to_callee", "callee_to_caller"):
                    self.assertTrue(all(re.match(r"198\.18\.[12]\.1:", s) for s in m[d]["from"]),
                                    m[d]["from"])

    def test_statuses_and_health(self):
        res = self.results_by_case()
        self.assertEqual(res["busy"]["evidence"]["status_at_caller"], 486)
        self.assertEqual(res["offline"]["evidence"]["status_at_caller"], 480)
        self.assertEqual(res["wrong_number"]["evidence"]["status_at_caller"], 404)
        self.assertEqual(res["channel_cap"]["evidence"]["call_over_cap"], 503)
        cut = res["network_interruption"]["evidence"]
        self.assertEqual((cut["peer_up_before"], cut["peer_up_during"], cut["peer_up_after"]),
                         (1, 0, 1))
        held = cut["call held across the cut"]
        self.assertEqual((held["status"], held["caller's BYE during the cut"]), (200, 200))
        self.assertEqual(cut["new call during the cut"]["answered_by"], "carrier_b")
        self.assertEqual(res["high_volume"]["evidence"]["failed"], 0)
        for r in res.values():
            if "pinholes_after" in r["evidence"]:
                self.assertFalse(r["evidence"]["pinholes_after"], r)

    def test_report_records_the_deployment(self):
        with open(self.report) as f:
            md = f.read()
        with open(os.path.splitext(self.report)[0] + ".html") as f:
            htm = f.read()
        for text in (md, htm):
            self.assertIn("198.18.1.1:5060", text)  # the access leg
            self.assertIn("198.18.2.1:5060", text)  # the core leg
            self.assertIn("30000-39999", text)  # core media ports
            self.assertIn("carrier", text)  # a trust class / ACL entry
            self.assertIn("network_interruption", text)
            # Secrets masked: no phone password appears anywhere.
            self.assertNotIn("Acc#Phone-2003x", text)
        self.assertRegex(md, r"\| normal_call \| pass \|")
        self.assertIn("password ****", md)


class AcceptanceAgainstADeploymentPlan(unittest.TestCase):
    """--plan: the deployment's sbcd is started here (in a lab) and described
    to the tool by a plan, as an operator would: SIP addresses, endpoints,
    numbers, the admin socket (no metrics URL: evidence comes from sbcctl),
    cut/restore commands for the carrier link."""

    def test_plan_cases_pass_with_evidence_from_sbcctl(self):
        sys.path.insert(0, os.path.join(labkit.REPO, "tools"))
        import acceptance
        tmp = tempfile.mkdtemp(prefix="acceptance-plan-")
        self.addCleanup(shutil.rmtree, tmp, True)
        lab = labkit.Lab("dataplane").__enter__()
        self.addCleanup(lab.down)
        sbcd = acceptance.start_lab_sbcd(lab)
        self.addCleanup(sbcd.cleanup)
        plan = acceptance.lab_plan(lab)
        plan.update(name="plan test", policy=sbcd.policy, admin_socket=sbcd.socket,
                    rtp_packets=30)
        carA = lab.ns("carA")
        plan["interruption"] = {
            "seconds": 2,
            "cut": f"ip netns exec {carA} iptables -I INPUT -j DROP && "
                   f"ip netns exec {carA} iptables -I OUTPUT -j DROP",
            "restore": f"ip netns exec {carA} iptables -D INPUT -j DROP; "
                       f"ip netns exec {carA} iptables -D OUTPUT -j DROP"}
        path = os.path.join(tmp, "plan.json")
        with open(path, "w") as f:
            json.dump(plan, f)
        report = os.path.join(tmp, "go-live.md")
        results = os.path.join(tmp, "results.json")
        r = subprocess.run([TOOL, "--plan", path, "--report", report, "--json", results,
                            "--cases", "normal_call,release,wrong_number,network_interruption"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout[-4000:] + r.stderr[-2000:])
        with open(results) as f:
            res = {x["case"]: x for x in json.load(f)["results"]}
        self.assertEqual({x["result"] for x in res.values()}, {"pass"})
        rel = res["release"]["evidence"]
        for side in ("caller hangs up", "callee hangs up"):
            self.assertGreater(rel[side]["pinholes_during"], 0)
            self.assertEqual((rel[side]["calls_active_after"], rel[side]["pinholes_after"]),
                             (0, 0))
        cut = res["network_interruption"]["evidence"]
        self.assertEqual((cut["peer_up_before"], cut["peer_up_during"], cut["peer_up_after"]),
                         (1, 0, 1))
        with open(report) as f:
            md = f.read()
        self.assertIn("# SBC acceptance report: plan test", md)
        self.assertIn("| core | 198.18.2.1/24 | udp/5060 | 30000-39999 |", md)
        self.assertNotIn(acceptance.LAB_PASSWORDS["2001"], md)


if __name__ == "__main__":
    labkit.run_root_tests()
