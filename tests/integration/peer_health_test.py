"""Trunk health: sbcd probes a carrier with OPTIONS; the carrier (sipp in the
lab) answers, its link is cut, then restored; sbcctl and the metrics follow."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402


class PeerHealth(unittest.TestCase):
    def setUp(self):
        self.lab = labkit.Lab("kernel").__enter__()
        self.addCleanup(self.lab.down)
        policy = labkit.lab_policy(self.lab) + """peers:
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10, port: 5060, auth: {mode: ip},
     probe: {interval: 500ms, failures: 2, recovery: 2}}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20, auth: {mode: ip}}
timers: {probe_timeout: 300ms}
"""
        self.sbcd = labkit.Sbcd(self.lab, policy)
        self.addCleanup(self.sbcd.cleanup)
        # The carrier answers at most 200 probes, and stops by itself.
        self.uas = self.lab.popen("carA", ["sipp", "-sf", os.path.join(labkit.SIPP_DIR, "options_uas.xml"),
                                           "-i", "198.18.2.10", "-p", "5060", "-m", "200", "-nostdin",
                                           "-timeout", "120s"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.sbcd.dir)
        self.addCleanup(self.stop_uas)
        self.sbcd.start()

    def stop_uas(self):
        if self.uas.poll() is None:
            self.uas.terminate()
            self.uas.wait(10)

    def peer(self, name):
        r = self.sbcd.ctl("peers", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {p["name"]: p for p in json.loads(r.stdout)}[name]

    def wait_health(self, name, state, limit=20.0):
        """Polls with a generous bound: the assertion is the state, not the time."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.peer(name)["health"] == state:
                return
            time.sleep(0.1)
        self.fail(f"{name} never became {state}: {self.peer(name)}\n{self.sbcd.log_text()[-1500:]}")

    def test_down_when_the_link_is_cut_and_up_when_restored(self):
        self.wait_health("carrier-a", "up")
        a = self.peer("carrier-a")
        self.assertGreater(a["probe_rtt_seconds"], 0)
        # carrier-b sets no interval: it gets the policy's default (30 s) and
        # has no answer yet.
        self.assertIn(self.peer("carrier-b")["health"], ("unknown", "down"))
        text = self.sbcd.metrics()
        self.assertEqual(labkit.metric(text, "sbc_peer_up", '{peer="carrier-a"}'), 1)

        self.lab.run("core", ["ip", "link", "set", "carA", "down"], check=True)
        self.wait_health("carrier-a", "down")
        self.assertIn("peer_health peer=carrier-a state=down", self.sbcd.log_text())
        self.assertEqual(labkit.metric(self.sbcd.metrics(), "sbc_peer_up", '{peer="carrier-a"}'), 0)
        self.assertGreaterEqual(self.peer("carrier-a")["probe_failures"], 2)

        self.lab.run("core", ["ip", "link", "set", "carA", "up"], check=True)
        self.wait_health("carrier-a", "up")
        self.assertIn("peer_health peer=carrier-a state=up", self.sbcd.log_text())

    def test_a_trunk_refusing_with_icmp_is_down_and_sbcd_survives(self):
        # carrier-b listens on nothing: every probe gets an ICMP port
        # unreachable, which nta reports to every transaction toward it, the
        # finished ones included (this crashed sbcd in OptionsPing: a freed
        # probe's callback). Probed every 100 ms for a few seconds.
        self.sbcd.stop()
        policy = labkit.lab_policy(self.lab) + """peers:
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20, port: 5999, auth: {mode: ip},
     probe: {interval: 300ms, failures: 1, recovery: 1}}
timers: {probe_timeout: 200ms}
"""
        with open(self.sbcd.policy, "w") as f:
            f.write(policy)
        self.sbcd.start()
        self.wait_health("carrier-b", "down")
        time.sleep(12)  # dozens of refused probes, finished and unfinished
        self.assertIsNone(self.sbcd.proc.poll(), self.sbcd.log_text()[-2000:])
        self.assertEqual(self.sbcd.ctl("peers").returncode, 0)


if __name__ == "__main__":
    labkit.run_root_tests()
