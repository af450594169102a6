"""Calls over SIP's three transports through the real sbcd on its DPDK
dataplane: a PBX and carriers speaking TCP or TLS on either leg
(tools/rtp_actor.py's UserAgent over a stream socket), RTP both ways through
the dataplane's pinholes, each side hanging up. TLS uses certificates made
here with openssl: a lab CA signs the SBC's and carrier A's; a second
certificate for carrier A is self-signed, so a leg with `verify: servers`
must refuse it. Checks are on what the actors saw and on sbcd's call
records, never on timings."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402
import rtp_actor  # noqa: E402

PBX = "198.18.1.11"
CAR_A = "198.18.2.10"
CAR_B = "198.18.2.20"
ACCESS_TLS = ("198.18.1.1", 5061)
ACCESS_TCP = ("198.18.1.1", 5060)
CORE_TLS = ("198.18.2.1", 5061)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(d):
    """A lab CA; the SBC's certificate (agent.pem + cafile.pem in d/sbc);
    carrier A's, signed by the CA (d/carA.pem), and a self-signed one
    (d/rogue.pem). EC keys: quick to make."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=sbc lab CA", cwd=d)
    for name in ("sbc", "carA"):
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN={name}.lab", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", cwd=d)
    openssl("req", "-x509", *ec, "-keyout", "rogue.key", "-out", "rogue.crt", "-days", "2",
            "-subj", "/CN=carA.lab", cwd=d)
    os.makedirs(os.path.join(d, "sbc"))

    def cat(out, *parts):
        with open(os.path.join(d, out), "w") as f:
            for p in parts:
                with open(os.path.join(d, p)) as src:
                    f.write(src.read())
    cat("sbc/agent.pem", "sbc.key", "sbc.crt")
    cat("sbc/cafile.pem", "ca.pem")
    cat("carA.pem", "carA.key", "carA.crt")
    cat("rogue.pem", "rogue.key", "rogue.crt")


def policy(lab, certs, core_verify="none"):
    legs = []
    for i, name in enumerate(("access", "core")):
        leg = lab.info["sbc"][name]
        verify = core_verify if name == "core" else "none"
        legs.append(
            f"  - name: {name}\n"
            f"    port: \"net_af_xdp{i},iface={leg['if']}\"\n"
            f"    address: {leg['address']}/{leg['prefix']}\n"
            f"    sip:\n"
            f"      - {{transport: udp, port: 5060}}\n"
            f"      - {{transport: tcp, port: 5060}}\n"
            f"      - {{transport: tls, port: 5061, certificates: {certs}, verify: {verify}}}\n"
            f"    media_ports: {20000 + i * 10000}-{29999 + i * 10000}\n")
    return "interfaces:\n" + "".join(legs) + f"""
peers:
  - name: pbx
    kind: trunk
    leg: access
    address: {PBX}
    port: 5061
    transport: tls
    auth: {{mode: ip}}
    probe: {{interval: 0s}}
  - name: carA
    kind: trunk
    leg: core
    address: {CAR_A}
    port: 5061
    transport: tls
    auth: {{mode: ip}}
    probe: {{interval: 0s}}
  - name: carB
    kind: trunk
    leg: core
    address: {CAR_B}
    port: 5060
    transport: tcp
    auth: {{mode: ip}}
    probe: {{interval: 0s}}
routes:
  - {{prefix: "1", from: pbx, to: carA}}
  - {{prefix: "2", from: pbx, to: carB}}
  - {{prefix: "5", from: carA, to: pbx}}
timers:
  timer_b: 4s
  failover: 3s
"""


class SipTransports(labkit.SharedLab, unittest.TestCase):
    lab_mode = "dataplane"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.certs = tempfile.mkdtemp(prefix="sbc-tls-")
        make_certificates(cls.certs)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.certs], check=False)
        super().tearDownClass()

    def start(self, core_verify="none"):
        self.records_path = os.path.join(self.certs, f"records-{time.monotonic_ns()}.jsonl")
        sbcd = labkit.Sbcd(self.lab, policy(self.lab, os.path.join(self.certs, "sbc"), core_verify),
                           dataplane=True, extra_args=["--call-records", self.records_path])
        self.addCleanup(sbcd.cleanup)
        sbcd.start(timeout=60)
        return sbcd

    def ua(self, host, ip, transport, port, certificate=None, user="ua"):
        u = rtp_actor.UserAgent(self.lab.ns(host), ip, port, user=user, transport=transport,
                                certificate=certificate)
        self.addCleanup(u.close)
        return u

    def records(self, sbcd, n, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            lines = []
            if os.path.exists(self.records_path):
                with open(self.records_path) as f:
                    lines = [json.loads(x) for x in f if x.strip()]
            if len(lines) >= n or time.monotonic() > deadline:
                return lines
            time.sleep(0.1)

    def assert_call(self, r, sbcd):
        self.assertTrue(r["ok"], f"{r}\n{sbcd.ctl('stats').stdout}\n{sbcd.log_text()[-4000:]}")

    def test_tls_on_both_legs_either_side_hangs_up(self):
        sbcd = self.start()
        pbx = self.ua("phones", PBX, "tls", 5061, os.path.join(self.certs, "carA.pem"), "pbx")
        car_a = self.ua("carA", CAR_A, "tls", 5061, os.path.join(self.certs, "carA.pem"), "carA")
        r = rtp_actor.two_way_call(pbx, car_a, ACCESS_TLS, "1001", packets=30)
        self.assert_call(r, sbcd)
        # The other way, the callee (the PBX, reached over TLS at its
        # listener) hangs up: the SBC's BYE to the carrier leaves over TLS.
        r = rtp_actor.two_way_call(car_a, pbx, CORE_TLS, "5001", packets=30, hangup="callee")
        self.assert_call(r, sbcd)
        recs = self.records(sbcd, 2)
        self.assertEqual([(x["source_peer"], x["final_status"]) for x in recs],
                         [("pbx", 200), ("carA", 200)], recs)

    def test_tcp_in_and_out(self):
        sbcd = self.start()
        pbx = self.ua("phones", PBX, "tcp", 5060, user="pbx")
        car_b = self.ua("carB", CAR_B, "tcp", 5060, user="carB")
        r = rtp_actor.two_way_call(pbx, car_b, ACCESS_TCP, "2001", packets=30, hangup="callee")
        self.assert_call(r, sbcd)
        recs = self.records(sbcd, 1)
        self.assertEqual(recs[0]["destination_peer"], "carB", recs)

    def test_verify_servers_refuses_a_certificate_no_trusted_ca_signed(self):
        sbcd = self.start(core_verify="servers")
        pbx = self.ua("phones", PBX, "tls", 5061, os.path.join(self.certs, "carA.pem"), "pbx")
        rogue = self.ua("carA", CAR_A, "tls", 5061, os.path.join(self.certs, "rogue.pem"), "carA")
        r = rtp_actor.two_way_call(pbx, rogue, ACCESS_TLS, "1002", packets=5, answer_timeout=12)
        self.assertFalse(r["ok"], r)
        self.assertNotEqual(r.get("status"), 200, r)
        self.assertIsNotNone(r.get("status"),
                             f"the caller got no answer at all: {r}\n{sbcd.log_text()[-3000:]}")
        self.assertEqual(r.get("why"), f"caller got {r.get('status')}", r)
        rogue.close()
        # The same carrier with the lab CA's certificate is accepted.
        good = self.ua("carA", CAR_A, "tls", 5061, os.path.join(self.certs, "carA.pem"), "carA")
        r = rtp_actor.two_way_call(pbx, good, ACCESS_TLS, "1003", packets=10)
        self.assert_call(r, sbcd)


if __name__ == "__main__":
    unittest.main(verbosity=2)
