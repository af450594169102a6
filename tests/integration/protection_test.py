"""Protection in the real sbcd on its DPDK dataplane (af_xdp ports in a lab,
docs/protection.md):

- a host in a prefix banned with `sbcctl ban` can neither ping the SBC nor get
  an answer to OPTIONS, and gets both again after `sbcctl unban`; a host next
  to it is never affected;
- a source that fails authentication past the threshold is banned by the
  registrar and then dropped in the dataplane: the `denied` drop counter rises
  by what it sends, the control plane's REGISTER counter does not move;
- a bounded SIP flood (20,000 packets from one untrusted host, sent with a
  Python UDP sender) is policed in the dataplane, while a trusted trunk on the
  same leg keeps getting every OPTIONS answered;
- a source that keeps flooding (40/s for 5 s against a class of 10/s) is
  reported by the police stage and banned by the control plane;
- a source that keeps sending malformed requests is banned after the
  policy's malformed_ban threshold, while a trusted trunk sending the same
  garbage is only answered 400.

Every check is a count (answers received, counters), never a timing."""

import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402

SBC_ACCESS = "198.18.1.1"
PBX = "198.18.1.11"      # a trunk trusted by address on leg access
FLOODER = "198.18.1.12"  # untrusted
BANNED = "198.18.1.13"
NEIGHBOUR = "198.18.1.14"
PASSWORD = "Zq8#vL2m-Tr5pW"


def policy(lab):
    return labkit.lab_policy(lab, tcp=False, driver="af_xdp") + f"""
peers:
  - name: pbx
    kind: trunk
    leg: access
    address: {PBX}
    auth: {{mode: ip}}
    probe: {{interval: 0s}}
  - name: phone-1002
    kind: phone
    leg: access
    auth: {{username: "1002", password: "{PASSWORD}"}}
security:
  failed_auth: {{threshold: 3, window: 1m, ban: 10m}}
  malformed_ban: {{threshold: 4, window: 1m, ban: 10m}}
"""


# Runs inside a lab host: sends `count` SIP requests from src:sport to the
# SBC, `gap` seconds apart (0: as fast as it can), and prints how many got an
# answer within `wait` seconds after the last. Bounded in count and time.
# Method BROKEN: an INFO with Max-Forwards 0, which sbcd's request check
# refuses (483). Its other refusals (400, 413) are hard to provoke over UDP:
# nta answers a missing or mismatched header itself, before sbcd sees it.
SENDER = r"""
import socket, sys, time
src, sport, method, count, gap, wait = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind((src, sport))
s.setblocking(False)
answered = set()
def drain():
    while True:
        try:
            data = s.recv(4000).decode(errors="replace")
        except BlockingIOError:
            return
        m = [l for l in data.split("\r\n") if l.lower().startswith("call-id:")]
        if m and data.startswith("SIP/2.0 "):
            answered.add(m[0].split(":", 1)[1].strip())
deadline = time.monotonic() + 120
for i in range(count):
    if time.monotonic() > deadline:
        break
    cid = f"prot-{sport}-{i}@{src}"
    req = "INFO" if method == "BROKEN" else method
    msg = (f"{req} sip:{'1002@' if method == 'REGISTER' else ''}198.18.1.1 SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK-{sport}-{i}\r\n"
           f"From: <sip:1002@198.18.1.1>;tag=t{i}\r\nTo: <sip:1002@198.18.1.1>\r\n"
           f"Call-ID: {cid}\r\nCSeq: 1 {req}\r\n"
           f"Contact: <sip:1002@{src}:{sport}>\r\nMax-Forwards: {0 if method == 'BROKEN' else 70}\r\n"
           f"Content-Length: 0\r\n\r\n")
    while True:
        try:
            s.sendto(msg.encode(), ("198.18.1.1", 5060))
            break
        except BlockingIOError:
            time.sleep(0.0005)
    if gap:
        time.sleep(gap)
    if i % 256 == 0:
        drain()
end = time.monotonic() + wait
while time.monotonic() < end:
    drain()
    time.sleep(0.01)
print(len(answered))
"""


def send_sip(lab, host, src, sport, count, method="OPTIONS", gap=0.0, wait=2.0):
    r = lab.run(host, ["python3", "-c", SENDER, src, str(sport), method, str(count), str(gap),
                       str(wait)], timeout=180)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return int(r.stdout.strip())


def metric_sum(text, name, **labels):
    """Sum of a family's samples whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^" + re.escape(name) + r"(\{[^}]*\})? (\S+)$", line)
        if not m:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(2))
    return total


def drops(sbcd, reason):
    return metric_sum(sbcd.metrics(), "sbc_dataplane_dropped_packets_total", leg="access",
                      reason=reason)


class ProtectionOnTheDataplane(labkit.SharedLab, unittest.TestCase):
    lab_mode = "dataplane"

    def setUp(self):
        self.sbcd = labkit.Sbcd(self.lab, policy(self.lab), dataplane=True)
        self.addCleanup(self.sbcd.cleanup)
        self.sbcd.start(timeout=60)
        # The first answers also prove the exception path and ARP are up.
        deadline = time.monotonic() + 20
        while send_sip(self.lab, "phones", NEIGHBOUR, 5090, 1, wait=1.0) != 1:
            self.assertLess(time.monotonic(), deadline, self.sbcd.log_text()[-3000:])

    def ctl(self, *args):
        r = self.sbcd.ctl(*args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def ping(self, src):
        return self.lab.run("phones", ["ping", "-c", "1", "-W", "1", "-I", src,
                                       SBC_ACCESS]).returncode == 0

    def test_banned_prefix_gets_no_ping_and_no_options_until_unbanned(self):
        self.assertTrue(self.ping(BANNED))
        self.assertEqual(send_sip(self.lab, "phones", BANNED, 5091, 3, gap=0.05), 3)

        self.ctl("ban", BANNED + "/32", "--for", "10m", "--reason", "integration test")
        bans = json.loads(self.ctl("bans", "--json"))
        self.assertEqual([(b["target"], b["layer"]) for b in bans], [(BANNED, "dataplane")])
        self.assertIn("integration test", bans[0]["reason"])
        self.assertEqual(metric_sum(self.sbcd.metrics(), "sbc_dataplane_deny_entries"), 1)
        # af_xdp has no rte_flow: the NIC offload was tried, refused, logged,
        # and the software deny stage enforces the ban (below).
        self.assertEqual(metric_sum(self.sbcd.metrics(), "sbc_dataplane_offload_active",
                                    leg="access", rule_kind="deny"), 0)
        # Logged by the next housekeeping pass (every 200 ms).
        deadline = time.monotonic() + 5
        while (not re.search(r"offload_fallback.*access.*rule_kind=deny.*rte_flow_create",
                             self.sbcd.log_text()) and time.monotonic() < deadline):
            time.sleep(0.1)
        self.assertRegex(self.sbcd.log_text(),
                         r"offload_fallback.*access.*rule_kind=deny.*rte_flow_create")
        before = drops(self.sbcd, "denied")
        self.assertFalse(self.ping(BANNED))
        self.assertEqual(send_sip(self.lab, "phones", BANNED, 5092, 5, gap=0.05), 0)
        # ICMP and five OPTIONS at least (ARP from that address too, if the
        # kernel chose it as the ARP sender).
        self.assertGreaterEqual(drops(self.sbcd, "denied") - before, 6)
        # The neighbour in the same /24 is not affected.
        self.assertTrue(self.ping(NEIGHBOUR))
        self.assertEqual(send_sip(self.lab, "phones", NEIGHBOUR, 5093, 3, gap=0.05), 3)

        self.ctl("unban", BANNED + "/32")
        self.assertEqual(json.loads(self.ctl("bans", "--json")), [])
        deadline = time.monotonic() + 10
        while not self.ping(BANNED):
            self.assertLess(time.monotonic(), deadline, "no ping after unban")
        self.assertEqual(send_sip(self.lab, "phones", BANNED, 5094, 3, gap=0.05), 3)

    def test_repeated_malformed_requests_get_an_untrusted_source_banned(self):
        rejected = lambda: metric_sum(self.sbcd.metrics(), "sbc_sip_requests_rejected_total")
        before = rejected()
        # Three are answered 400 and counted; the fourth crosses the threshold.
        self.assertEqual(send_sip(self.lab, "phones", BANNED, 5095, 3, "BROKEN", gap=0.05), 3)
        self.assertEqual(json.loads(self.ctl("bans", "--json")), [])
        self.assertEqual(send_sip(self.lab, "phones", BANNED, 5099, 1, "BROKEN"), 1)
        self.assertEqual(rejected() - before, 4)
        bans = json.loads(self.ctl("bans", "--json"))
        self.assertEqual([(b["target"], b["layer"]) for b in bans], [(BANNED, "dataplane")], bans)
        self.assertIn("malformed SIP", bans[0]["reason"])
        self.assertEqual(send_sip(self.lab, "phones", BANNED, 5096, 3, gap=0.05), 0)
        # The trunk trusted by its address is answered, never banned.
        self.assertEqual(send_sip(self.lab, "phones", PBX, 5097, 6, "BROKEN", gap=0.05), 6)
        self.assertEqual(len(json.loads(self.ctl("bans", "--json"))), 1)
        self.assertEqual(send_sip(self.lab, "phones", PBX, 5098, 2, gap=0.05), 2)

    def test_failed_authentication_is_then_dropped_in_the_dataplane(self):
        inf = os.path.join(self.sbcd.dir, "wrong.csv")
        with open(inf, "w") as f:
            f.write("SEQUENTIAL\n1002;[authentication username=1002 password=wrong];300\n")
        for _ in range(3):
            r = labkit.sipp(self.lab, "phones", "register_refused.xml", SBC_ACCESS + ":5060",
                            FLOODER, calls=1, local_port=5073, extra=["-inf", inf])
            self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        # The registrar banned 198.18.1.12:5073, and the dataplane enforces it.
        deadline = time.monotonic() + 5
        while True:
            bans = json.loads(self.ctl("bans", "--json"))
            if any(b["target"] == FLOODER + ":5073" and b["layer"] == "dataplane" for b in bans):
                break
            self.assertLess(time.monotonic(), deadline, f"no dataplane ban: {bans}")
            time.sleep(0.1)
        text = self.sbcd.metrics()
        registers_before = metric_sum(text, "sbc_register_requests_total")
        denied_before = metric_sum(text, "sbc_dataplane_dropped_packets_total", leg="access",
                                   reason="denied")
        self.assertEqual(send_sip(self.lab, "phones", FLOODER, 5073, 10, method="REGISTER",
                                  gap=0.05), 0)
        text = self.sbcd.metrics()
        self.assertEqual(metric_sum(text, "sbc_register_requests_total"), registers_before)
        self.assertEqual(metric_sum(text, "sbc_dataplane_dropped_packets_total", leg="access",
                                    reason="denied") - denied_before, 10)
        # The same address from another port is not banned (the registrar
        # bans address:port first, docs/registrar.md).
        self.assertEqual(send_sip(self.lab, "phones", FLOODER, 5075, 2, gap=0.05), 2)

    def test_trust_class_population_follows_registration_and_bans(self):
        def population():
            stats = json.loads(self.ctl("stats", "--json"))
            return ({c["class"]: c["sources"] for c in stats["trust_classes"]},
                    stats["deny_entries"])
        classes, denied = population()
        self.assertEqual((set(classes.values()), denied), ({0}, 0), classes)
        # A phone registers: its source is promoted to the registered class.
        inf = os.path.join(self.sbcd.dir, "phone.csv")
        with open(inf, "w") as f:
            f.write(f"SEQUENTIAL\n1002;[authentication username=1002 password={PASSWORD}];300\n")
        r = labkit.sipp(self.lab, "phones", "register.xml", SBC_ACCESS + ":5060", NEIGHBOUR,
                        calls=1, local_port=5072, extra=["-inf", inf])
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        self.ctl("ban", "198.18.7.0/24", "--for", "10m")
        classes, denied = population()
        self.assertEqual(classes["registered"], 1, classes)
        self.assertEqual(sum(classes.values()), 1, classes)
        self.assertEqual(denied, 1)
        self.assertRegex(self.ctl("stats"), r"(?m)^registered\s+1\s+\d+\s+\d+$")
        self.assertRegex(self.ctl("stats"), r"(?m)^denied\s+1\s")
        text = self.sbcd.metrics()
        self.assertEqual(metric_sum(text, "sbc_dataplane_trust_class_sources", **{"class": "registered"}), 1)
        self.assertEqual(metric_sum(text, "sbc_dataplane_trust_class_sources"), 1)
        self.assertEqual(metric_sum(text, "sbc_dataplane_deny_entries"), 1)
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_flood_is_policed_while_the_trusted_trunk_is_answered(self):
        flood = 20000
        text = self.sbcd.metrics()
        options_before = metric_sum(text, "sbc_sip_requests_total", leg="access", method="OPTIONS")
        policed_before = (drops(self.sbcd, "police") + drops(self.sbcd, "police_cap") +
                          drops(self.sbcd, "denied"))
        flooder = self.lab.popen("phones", ["python3", "-c", SENDER, FLOODER, "5080", "OPTIONS",
                                            str(flood), "0", "2"],
                                 stdout=__import__("subprocess").PIPE, text=True)
        try:
            # The trunk, on the same leg and the same worker, meanwhile: 100
            # OPTIONS over about 2 s, every one answered.
            trunk_answered = send_sip(self.lab, "phones", PBX, 5081, 100, gap=0.02, wait=3.0)
            out, _ = flooder.communicate(timeout=180)
        finally:
            if flooder.poll() is None:
                flooder.kill()
                flooder.wait()
        flood_answered = int(out.strip())
        text = self.sbcd.metrics()
        # Policed, or denied once the flood reports got the flooder banned.
        policed = (metric_sum(text, "sbc_dataplane_dropped_packets_total", leg="access",
                              reason="police") +
                   metric_sum(text, "sbc_dataplane_dropped_packets_total", leg="access",
                              reason="police_cap") +
                   metric_sum(text, "sbc_dataplane_dropped_packets_total", leg="access",
                              reason="denied") - policed_before)
        options = metric_sum(text, "sbc_sip_requests_total", leg="access",
                             method="OPTIONS") - options_before
        print(f"\nflood: {flood} sent, {flood_answered} answered, {int(policed)} policed in the "
              f"dataplane; control plane saw {int(options)} OPTIONS on access "
              f"(trunk: {trunk_answered}/100 answered)")
        self.assertEqual(trunk_answered, 100)
        # The untrusted class is 10/s with a burst of 20: the flooder gets a
        # few dozen answers at most, the control plane sees the trunk's 100
        # plus those; everything else dies in the dataplane.
        self.assertLess(flood_answered, 200)
        self.assertLess(options, 100 + 200)
        self.assertGreater(policed, flood * 0.9)
        self.assertGreaterEqual(metric_sum(text, "sbc_dataplane_trust_class_punted_packets_total",
                                           leg="access", **{"class": "carrier"}), 100)

    def test_a_sustained_flood_gets_the_source_banned(self):
        # 40 requests/s for 5 s against an untrusted class of 10/s: policed
        # in every ~0.9 s report epoch, so reported at least 3 times, and
        # ProtectionService bans it (3 reports within failed_auth.window).
        send_sip(self.lab, "phones", FLOODER, 5085, 200, gap=0.025, wait=0.5)
        bans = json.loads(self.ctl("bans", "--json"))
        flood_bans = [b for b in bans if b["target"] == FLOODER]
        self.assertEqual(len(flood_bans), 1, bans)
        self.assertIn("flood", flood_bans[0]["reason"])
        self.assertGreater(flood_bans[0]["remaining_seconds"], 500)  # ban: 10m
        self.assertRegex(self.sbcd.log_text(), r"banned.*" + re.escape(FLOODER) + r".*flood")
        before = drops(self.sbcd, "denied")
        self.assertEqual(send_sip(self.lab, "phones", FLOODER, 5086, 5, gap=0.05), 0)
        self.assertEqual(drops(self.sbcd, "denied") - before, 5)


if __name__ == "__main__":
    labkit.run_root_tests()
