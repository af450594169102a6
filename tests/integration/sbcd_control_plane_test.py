"""The real sbcd in a lab, control-plane-only mode (--no-dataplane): SIP on the
legs, sbcctl over the admin socket, metrics checked by promtool, reload and
shutdown. The same checks against the DPDK dataplane live in the dataplane
integration tests."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402


metric = labkit.metric


class SbcdControlPlane(labkit.SharedLab, unittest.TestCase):

    def start_sbcd(self, policy=None):
        sbcd = labkit.Sbcd(self.lab, policy or labkit.lab_policy(self.lab))
        self.addCleanup(sbcd.cleanup)
        return sbcd.start()

    def test_answers_options_on_both_legs_and_counts_them(self):
        sbcd = self.start_sbcd()
        r = labkit.sipp(self.lab, "phones", "options.xml", "198.18.1.1:5060", "198.18.1.11", calls=5)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = labkit.sipp(self.lab, "carA", "options.xml", "198.18.2.1:5060", "198.18.2.10", calls=3)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        text = sbcd.metrics()
        self.assertEqual(metric(text, "sbc_sip_requests_total", '{leg="access",method="OPTIONS"}'), 5)
        self.assertEqual(metric(text, "sbc_sip_requests_total", '{leg="core",method="OPTIONS"}'), 3)

    def test_malformed_requests_get_their_4xx_and_are_counted(self):
        sbcd = self.start_sbcd()
        script = r'''
import socket, sys
def req(method, cseq_method, mf):
    return (f"{method} sip:8001@198.18.1.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 198.18.1.13:5077;branch=z9hG4bK-{method}{mf}\r\n"
            f"Max-Forwards: {mf}\r\nFrom: <sip:a@198.18.1.13>;tag=1\r\nTo: <sip:8001@198.18.1.1>\r\n"
            f"Call-ID: bad-{method}-{mf}@198.18.1.13\r\nCSeq: 1 {cseq_method}\r\nContent-Length: 0\r\n\r\n")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.1.13", 5077)); s.settimeout(5)
for m in (req("INVITE", "INVITE", 0), req("INFO", "BYE", 70)):
    s.sendto(m.encode(), ("198.18.1.1", 5060))
    while True:
        line = s.recv(4000).decode().split("\r\n")[0]
        if not line.startswith("SIP/2.0 1"):
            print(line); break
'''
        r = self.lab.run("phones", ["python3", "-c", script], timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "SIP/2.0 483 Too Many Hops")
        # nta answers a CSeq mismatch itself ("400 Bad Request"), before sbcd's checks.
        self.assertTrue(lines[1].startswith("SIP/2.0 400 "), lines)
        text = sbcd.metrics()
        self.assertEqual(metric(text, "sbc_sip_requests_rejected_total",
                                '{leg="access",reason="Too Many Hops"}'), 1)

    def test_options_over_tcp(self):
        self.start_sbcd()
        r = labkit.sipp(self.lab, "phones", "options.xml", "198.18.1.1:5060", "198.18.1.12",
                        calls=2, extra=["-t", "t1"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_status_as_table_and_json(self):
        sbcd = self.start_sbcd()
        r = sbcd.ctl("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"access\s+198\.18\.1\.1/24\s+udp:198\.18\.1\.1:5060")
        self.assertRegex(r.stdout, r"core\s+198\.18\.2\.1/24")
        r = sbcd.ctl("status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(r.stdout)
        self.assertEqual([l["name"] for l in st["legs"]], ["access", "core"])
        self.assertIn("udp:198.18.2.1:5060", st["legs"][1]["sip"])
        self.assertEqual(st["policy"]["file"], sbcd.policy)
        self.assertEqual(st["dataplane"], "off")
        r = sbcd.ctl("status", "--bogus")
        self.assertEqual(r.returncode, 1)
        r = sbcd.ctl("frobnicate")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown command", r.stderr)

    def test_metrics_pass_promtool(self):
        sbcd = self.start_sbcd()
        labkit.sipp(self.lab, "phones", "options.xml", "198.18.1.1:5060", "198.18.1.11", calls=1)
        text = sbcd.metrics()
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + text)
        self.assertEqual(metric(text, "sbc_build_info", '{version="0.1.0"}'), 1)

    def test_reload_keeps_running_policy_on_errors(self):
        sbcd = self.start_sbcd()
        good = open(sbcd.policy).read()
        loaded = metric(sbcd.metrics(), "sbc_policy_loaded_timestamp_seconds")
        time.sleep(0.01)
        r = sbcd.ctl("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(metric(sbcd.metrics(), "sbc_policy_loaded_timestamp_seconds"), loaded)

        with open(sbcd.policy, "w") as f:
            f.write(good.replace("address: 198.18.1.1/24", "address: 198.18.1.300/24")
                    .replace("media_ports: 20000-29999", "media_ports: 20000-29999\n    colour: blue"))
        r = sbcd.ctl("reload")
        self.assertEqual(r.returncode, 1)
        # Every error at once, each with file:line:column and the field.
        self.assertRegex(r.stderr, re.escape(sbcd.policy) + r":\d+:\d+: error: interfaces\[0\]\.address")
        self.assertRegex(r.stderr, r"interfaces\[0\]\.colour: unknown key 'colour'")

        with open(sbcd.policy, "w") as f:
            f.write(good.replace("198.18.2.1/24", "198.18.2.5/24"))
        r = sbcd.ctl("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("need a restart", r.stderr)

        with open(sbcd.policy, "w") as f:
            f.write("interfaces: [")
        sbcd.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while metric(sbcd.metrics(), "sbc_policy_reloads_total", '{outcome="invalid"}') != 2:
            self.assertLess(time.monotonic(), deadline, "SIGHUP reload was not counted")
            time.sleep(0.1)
        text = sbcd.metrics()
        self.assertEqual(metric(text, "sbc_policy_reloads_total", '{outcome="success"}'), 1)
        self.assertEqual(metric(text, "sbc_policy_reloads_total", '{outcome="needs_restart"}'), 1)
        # Still serving with the old policy.
        r = labkit.sipp(self.lab, "phones", "options.xml", "198.18.1.1:5060", "198.18.1.11", calls=1)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIsNone(sbcd.proc.poll())

    def test_sigterm_stops_cleanly(self):
        sbcd = self.start_sbcd()
        self.assertEqual(sbcd.stop(), 0, sbcd.log_text())
        self.assertFalse(os.path.exists(sbcd.socket), "admin socket left behind")
        self.assertIn("stopped", sbcd.log_text())
        r = sbcd.ctl("status")
        self.assertEqual(r.returncode, 3)
        self.assertIn("sbcd is not running", r.stderr)

    def test_invalid_policy_refuses_to_start(self):
        sbcd = labkit.Sbcd(self.lab, "interfaces:\n  - name: access\n")
        self.addCleanup(sbcd.cleanup)
        with self.assertRaises(RuntimeError) as ctx:
            sbcd.start()
        self.assertIn("missing required field 'address'", str(ctx.exception))
        self.assertEqual(sbcd.proc.returncode, 1)


if __name__ == "__main__":
    labkit.run_root_tests()
