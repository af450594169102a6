"""Trunks named by DNS (RFC 3263: SRV, then A): a small DNS server in the lab
(tools/dns_responder.py on carB, 198.18.2.20:53, TTL 1 s) answers sbcd, which
is pointed at it with --resolv-conf. Calls to a trunk known by name reach its
SRV target; when the records change, calls follow once the TTL has run out;
the carrier calling from its resolved address is recognised; a name that is
NXDOMAIN, answered with garbage or not answered at all leaves its trunk
unusable (visible in sbcctl, the log and the metrics) and calls fail over to
the next destination, while sbcd keeps answering. A registrar named by DNS
is registered to at its resolved address. Every check is on what the sipp
peers saw, sbcctl, the log and the metrics; never on timings."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402

SBC_ACCESS = "198.18.1.1:5060"
PBX = "198.18.1.11"
CAR_A = "198.18.2.10"
CAR_A2 = "198.18.2.11"  # a second address on carA's host: where the carrier moves
CAR_B = "198.18.2.20"   # also the DNS server
RESPONDER = os.path.join(labkit.REPO, "tools", "dns_responder.py")

ZONE = {
    "ttl": 1,
    "srv": {"_sip._udp.sip.carrier.test": [[10, 0, 5060, "a.carrier.test"],
                                           [20, 0, 5099, "backup.carrier.test"]]},
    "a": {"a.carrier.test": [CAR_A], "reg.carrier.test": [CAR_A]},
    "malformed": ["bad.carrier.test"],
    "silent": ["silent.carrier.test"],
}


def policy(lab):
    return labkit.lab_policy(lab, tcp=False) + f"""
peers:
  - {{name: pbx, kind: trunk, leg: access, address: {PBX}, auth: {{mode: ip}}, probe: {{interval: 0s}}}}
  # Known by name only: trusted by the addresses the name resolves to.
  - {{name: carrier, kind: trunk, leg: core, address: sip.carrier.test, auth: {{mode: ip}},
     probe: {{interval: 0s}}}}
  - {{name: gone, kind: trunk, leg: core, address: gone.carrier.test, auth: {{mode: ip}},
     probe: {{interval: 0s}}}}
  - {{name: bad, kind: trunk, leg: core, address: bad.carrier.test, auth: {{mode: ip}},
     probe: {{interval: 0s}}}}
  - {{name: silent, kind: trunk, leg: core, address: silent.carrier.test, auth: {{mode: ip}},
     probe: {{interval: 0s}}}}
  - {{name: backup, kind: trunk, leg: core, address: {CAR_B}, auth: {{mode: ip}}, probe: {{interval: 0s}}}}
  - {{name: reg, kind: trunk, leg: core, address: {CAR_A}, port: 5090, auth: {{mode: ip, trusted: [198.18.2.99]}},
     probe: {{interval: 0s}},
     register: {{registrar: "sip:reg.carrier.test:5070", username: "4930555100",
                password: "Kd8!mZ2q-Lp7vRt5", expiry: 60s}}}}
routes:
  - {{prefix: "1", from: pbx, to: carrier}}
  - {{prefix: "2", from: pbx, to: [gone, bad, silent, backup]}}
  - {{prefix: "5", from: carrier, to: pbx}}
timers:
  dns_ttl_min: 1s
  dns_ttl_max: 2s
  dns_retry: 1s
  dns_timeout: 1s
  timer_b: 4s
  failover: 3s
"""


class TrunkDns(unittest.TestCase):
    def setUp(self):
        self.lab = labkit.Lab("kernel").__enter__()
        self.addCleanup(self.lab.down)
        self.tmp = tempfile.mkdtemp(prefix="trunk-dns-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.zone = os.path.join(self.tmp, "zone.json")
        self.write_zone(ZONE)
        resolv = os.path.join(self.tmp, "resolv.conf")
        with open(resolv, "w") as f:
            f.write(f"nameserver {CAR_B}\n")
        self.dns_log = open(os.path.join(self.tmp, "dns.log"), "w")
        self.addCleanup(self.dns_log.close)
        self.dns = self.lab.popen("carB", [sys.executable, RESPONDER, "--zone", self.zone,
                                           "--listen", CAR_B, "--port", "53", "--lifetime", "240"],
                                  stdout=self.dns_log, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop_dns)
        labkit.wait_udp_listening(self.lab, "carB", CAR_B, 53)
        self.lab.run("carA", ["ip", "addr", "add", f"{CAR_A2}/24", "dev", "eth0"], check=True)
        self.sbcd = labkit.Sbcd(self.lab, policy(self.lab),
                                extra_args=["--resolv-conf", resolv, "--outbound-retry", "0.5,1"])
        self.addCleanup(self.sbcd.cleanup)
        self.sbcd.start()

    def stop_dns(self):
        if self.dns.poll() is None:
            self.dns.terminate()  # by PID: ip netns exec execs python in place
            self.dns.wait(10)

    def write_zone(self, zone):
        tmp = self.zone + ".new"
        with open(tmp, "w") as f:
            json.dump(zone, f)
        os.replace(tmp, self.zone)  # the responder never reads half a file

    def dns_queries(self):
        with open(os.path.join(self.tmp, "dns.log")) as f:
            return [l.strip() for l in f if l.startswith("QUERY")]

    def peers(self):
        r = self.sbcd.ctl("peers", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {p["name"]: p for p in json.loads(r.stdout)}

    def wait_for(self, predicate, what, limit=20.0):
        """Polls with a generous bound: the assertion is the state, not the time."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        self.fail(f"never {what}: {json.dumps(self.peers(), indent=1)[:3000]}\n"
                  f"--- sbcd log ---\n{self.sbcd.log_text()[-3000:]}\n--- dns ---\n"
                  + "\n".join(self.dns_queries()[-30:]))

    def dns_of(self, name):
        return self.peers()[name].get("dns", {})

    def uas(self, host, address, port=5060, calls=1):
        s = labkit.SippServer(self.lab, host, "uas_answer.xml", address, calls=calls,
                              local_port=port, timeout_s=30)
        self.addCleanup(s.__exit__)
        labkit.wait_udp_listening(self.lab, host, address, port)
        return s

    def call(self, number, host="phones", target=SBC_ACCESS, local_ip=PBX):
        return labkit.sipp(self.lab, host, "uac_call.xml", target, local_ip, local_port=5060,
                           extra=["-s", number, "-d", "200"], timeout_s=30)

    def assert_ok(self, r, what):
        out = getattr(r, "stdout", None) or getattr(r, "output", "")
        self.assertEqual(r.returncode, 0, f"{what} failed:\n{out}\n{getattr(r, 'stderr', '')}\n"
                         f"--- sbcd log ---\n{self.sbcd.log_text()[-4000:]}")

    # ------------------------------------------------------------------

    def test_calls_reach_the_srv_target_and_follow_a_change(self):
        self.wait_for(lambda: self.dns_of("carrier").get("state") == "resolved", "resolved")
        d = self.dns_of("carrier")
        self.assertTrue(d["srv"])
        # Priority order: the backup target (no A record) is left out.
        self.assertEqual(d["addresses"], [f"{CAR_A}:5060"])
        self.assertIn("QUERY SRV _sip._udp.sip.carrier.test -> 2 answer(s)", self.dns_queries())

        uas = self.uas("carA", CAR_A)
        self.assert_ok(self.call("1001"), "PBX -> carrier by name")
        self.assert_ok(uas.wait(), "carA answering at the SRV target")

        # The carrier calls in from the address its name resolved to: it is
        # recognised (ip auth by resolved address) and routed to the PBX.
        pbx = self.uas("phones", PBX)
        self.assert_ok(self.call("5001", host="carA", target="198.18.2.1:5060", local_ip=CAR_A),
                       "carrier -> PBX")
        self.assert_ok(pbx.wait(), "the PBX answering the carrier's call")

        # The carrier moves: new SRV target, port and address. Once the 1 s
        # TTL has run out sbcd looks again and calls go to the new place.
        zone = json.loads(json.dumps(ZONE))
        zone["srv"]["_sip._udp.sip.carrier.test"] = [[10, 0, 5062, "b.carrier.test"]]
        zone["a"]["b.carrier.test"] = [CAR_A2]
        self.write_zone(zone)
        self.wait_for(lambda: self.dns_of("carrier").get("addresses") == [f"{CAR_A2}:5062"],
                      "moved to the new SRV target")
        moved = self.uas("carA", CAR_A2, port=5062)
        self.assert_ok(self.call("1002"), "PBX -> carrier after the move")
        self.assert_ok(moved.wait(), "carA answering at the new target")
        self.assertIn(f"dns_resolved name=sip.carrier.test targets={CAR_A2}:5062",
                      self.sbcd.log_text())
        text = self.sbcd.metrics()
        self.assertEqual(labkit.metric(text, "sbc_peer_dns_resolved", '{peer="carrier"}'), 1)
        self.assertGreaterEqual(labkit.metric(text, "sbc_peer_dns_lookups_total",
                                              '{outcome="ok",peer="carrier"}'), 2)

    def test_a_registrar_named_by_dns_is_registered_to(self):
        # sipp's registrar checks the digest; the name (A only: a port is
        # written) resolves to carA.
        registrar = labkit.SippServer(self.lab, "carA", "registrar_uas.xml", CAR_A, calls=1,
                                      local_port=5070, timeout_s=40)
        self.addCleanup(registrar.__exit__)
        self.wait_for(lambda: self.peers()["reg"].get("outbound_registration", {}).get("state")
                      == "registered", "registered to the registrar by name")
        reg = self.peers()["reg"]
        self.assertEqual(reg["registrar_dns"]["addresses"], [f"{CAR_A}:5070"])
        self.assertFalse(reg["registrar_dns"]["srv"])
        self.assertEqual(reg["outbound_registration"]["aor"], "sip:4930555100@reg.carrier.test")
        self.assertIn("QUERY A reg.carrier.test -> 1 answer(s)", self.dns_queries())

    def test_unresolvable_names_fail_over_and_sbcd_keeps_answering(self):
        for name, error in (("gone", "nxdomain"), ("bad", "failed"), ("silent", "timeout")):
            self.wait_for(lambda: self.dns_of(name).get("state") == "failed"
                          and self.dns_of(name).get("lookups_failed", 0) >= 2, f"{name} failed")
            self.assertIn(error, self.dns_of(name)["error"], name)
        queries = self.dns_queries()
        self.assertTrue(any("bad.carrier.test -> malformed" in q for q in queries), queries)
        self.assertTrue(any("silent.carrier.test -> silent" in q for q in queries), queries)

        # A call to [gone, bad, silent, backup]: the three unusable trunks are
        # skipped, the backup answers.
        uas = self.uas("carB", CAR_B)
        self.assert_ok(self.call("2001"), "PBX -> first usable destination")
        self.assert_ok(uas.wait(), "backup answering")

        text = self.sbcd.metrics()
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(labkit.REPO, "docs", "metrics.md")) as f:
            doc = f.read()
        for family in ("sbc_peer_dns_resolved", "sbc_peer_dns_lookups_total"):
            self.assertIn(f"# TYPE {family} ", text)
            self.assertIn(f"| `{family}` |", doc)
        for name in ("gone", "bad", "silent"):
            self.assertEqual(labkit.metric(text, "sbc_peer_dns_resolved", f'{{peer="{name}"}}'), 0)
            self.assertGreaterEqual(labkit.metric(text, "sbc_peer_dns_lookups_total",
                                                  f'{{outcome="failed",peer="{name}"}}'), 2)
        log = self.sbcd.log_text()
        self.assertIn("dns_lookup_failed name=gone.carrier.test state=failed error=nxdomain", log)
        table = self.sbcd.ctl("peers").stdout
        self.assertRegex(table, r"gone\s+trunk\s+core\s+gone\.carrier\.test\s+failed")
        # Garbage and silence did not stop sbcd: it runs and answers.
        self.assertIsNone(self.sbcd.proc.poll(), log[-2000:])
        self.assertEqual(self.sbcd.ctl("status").returncode, 0)

        # A reload that takes `gone` away (and its route's mention of it)
        # removes its DNS series instead of leaving them at 0.
        with open(self.sbcd.policy) as f:
            text = f.read()
        entry = ("  - {name: gone, kind: trunk, leg: core, address: gone.carrier.test, "
                 "auth: {mode: ip},\n     probe: {interval: 0s}}\n")
        self.assertIn(entry, text)
        text = text.replace(entry, "").replace("to: [gone, bad, silent, backup]", "to: [bad, silent, backup]")
        with open(self.sbcd.policy, "w") as f:
            f.write(text)
        r = self.sbcd.ctl("reload")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        after = self.sbcd.metrics()
        self.assertNotIn('sbc_peer_dns_resolved{peer="gone"}', after)
        self.assertNotIn('peer="gone"}', "".join(l for l in after.splitlines()
                                                if l.startswith("sbc_peer_dns_lookups_total")))
        self.assertIn('sbc_peer_dns_resolved{peer="bad"}', after)

    def test_a_failed_reresolution_keeps_the_last_good_answer(self):
        self.wait_for(lambda: self.dns_of("carrier").get("state") == "resolved", "resolved")
        self.stop_dns()  # the DNS server goes away: lookups time out
        self.wait_for(lambda: self.dns_of("carrier").get("state") == "stale", "stale")
        self.assertEqual(self.dns_of("carrier")["addresses"], [f"{CAR_A}:5060"])
        uas = self.uas("carA", CAR_A)
        self.assert_ok(self.call("1003"), "PBX -> carrier on the last good answer")
        self.assert_ok(uas.wait(), "carA answering")
        self.assertIn("dns_lookup_failed name=sip.carrier.test state=stale", self.sbcd.log_text())


if __name__ == "__main__":
    labkit.run_root_tests()
