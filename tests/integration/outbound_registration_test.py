"""Outbound registration: sbcd registers a trunk to the carrier's registrar
(sipp in the lab, checking every digest response with verifyauth), refreshes
before the granted expiry, retries after a 503's Retry-After, and
unregisters when the trunk leaves the policy."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402

PEERS = """peers:
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10, auth: {mode: ip},
     register: {registrar: "sip:198.18.2.10:5070", username: "4930555100",
                password: "Kd8!mZ2q-Lp7vRt5", expiry: 60s}}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20, auth: {mode: ip}}
"""
WITHOUT_REGISTRATION = """peers:
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10, auth: {mode: ip}}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20, auth: {mode: ip}}
"""


class OutboundRegistration(unittest.TestCase):
    def setUp(self):
        self.lab = labkit.Lab("kernel").__enter__()
        self.addCleanup(self.lab.down)
        self.sbcd = labkit.Sbcd(self.lab, labkit.lab_policy(self.lab) + PEERS,
                                extra_args=["--outbound-retry", "0.2,1"])
        self.addCleanup(self.sbcd.cleanup)
        # One sipp call holds the whole registration (its REGISTERs share a
        # Call-ID); bounded by -m 1 and -timeout.
        self.registrar = labkit.SippServer(self.lab, "carA", "registrar_uas.xml", "198.18.2.10",
                                           calls=1, local_port=5070, timeout_s=40,
                                           extra=["-trace_msg"])
        self.addCleanup(self.registrar.stop)
        self.sbcd.start()

    def outbound(self):
        r = self.sbcd.ctl("peers", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {p["name"]: p for p in json.loads(r.stdout)}["carrier-a"].get("outbound_registration")

    def wait_for(self, predicate, what, limit=20.0):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        self.fail(f"never {what}: {self.outbound()}\n{self.sbcd.log_text()[-2000:]}")

    def test_registers_refreshes_retries_and_unregisters(self):
        self.wait_for(lambda: (self.outbound() or {}).get("state") == "registered", "registered")
        first = self.outbound()
        self.assertEqual(first["aor"], "sip:4930555100@198.18.2.10")
        self.assertEqual(first["granted_seconds"], 2, "the Contact's expires=2 is what counts")
        r = self.sbcd.ctl("peers")
        self.assertIn("to carrier: registered", r.stdout)

        # The refresh is answered 503 Retry-After: 1, then the retry succeeds
        # with a 60 s grant.
        self.wait_for(lambda: "state=failing status=503" in self.sbcd.log_text(), "failing")
        self.wait_for(lambda: (self.outbound() or {}).get("granted_seconds") == 60,
                      "registered again for 60 s")
        text = self.sbcd.metrics()
        self.assertEqual(labkit.metric(text, "sbc_outbound_registration_up", '{peer="carrier-a"}'), 1)
        self.assertEqual(labkit.metric(text, "sbc_outbound_registration_answers_total",
                                       '{class="5xx",peer="carrier-a"}'), 1)
        self.assertEqual(labkit.metric(text, "sbc_outbound_registration_answers_total",
                                       '{class="2xx",peer="carrier-a"}'), 2)
        # carrier-b has no account: nothing is registered for it.
        peers = {p["name"]: p for p in json.loads(self.sbcd.ctl("peers", "--json").stdout)}
        self.assertNotIn("outbound_registration", peers["carrier-b"])

        # The account leaves the policy: sbcd unregisters, and the registrar's
        # scenario (which checked every digest response) ends successfully.
        with open(self.sbcd.policy, "w") as f:
            f.write(labkit.lab_policy(self.lab) + WITHOUT_REGISTRATION)
        r = self.sbcd.ctl("reload")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.registrar.wait(timeout=20)
        self.assertEqual(self.registrar.returncode, 0,
                         f"registrar scenario failed:\n{self.registrar.output[-3000:]}")
        self.assertIsNone(self.outbound())
        self.assertIn("event=unregister_sent", self.sbcd.log_text())


if __name__ == "__main__":
    labkit.run_root_tests()
