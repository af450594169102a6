"""Phones registering through the real sbcd in the lab: digest authentication
with sipp, the location store seen through sbcctl, persistence across a
restart (a carrier's call still reaches a phone registered before it), a wrong
password refused and its source banned, a phone behind NAT."""

import json
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402

PHONES = {"1001": "Zq8#vL2m-Tr5pW", "1002": "Yx7#kP3n-Qs4vB", "1003": "Wv6#jN4b-Rt3cD"}
CAR_A = "198.18.2.10"  # a carrier trunk on leg core, played by sipp


metric = labkit.metric


class Registrar(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = labkit.Lab("kernel").__enter__()
        peers = "".join(
            f'  - {{name: phone-{u}, kind: phone, leg: access, auth: {{username: "{u}", password: "{p}"}}}}\n'
            for u, p in PHONES.items())
        peers += (f"  - {{name: carA, kind: trunk, leg: core, address: {CAR_A}, auth: {{mode: ip}}, "
                  "probe: {interval: 0s}}\n")
        cls.policy = (labkit.lab_policy(cls.lab) + "peers:\n" + peers +
                      'routes:\n  - {prefix: "1001", from: carA, to: phone-1001}\n'
                      "security:\n  failed_auth: {threshold: 3, window: 1m, ban: 10m}\n"
                      "timers: {nat_keepalive: 1s, probe_timeout: 500ms}\n")

    @classmethod
    def tearDownClass(cls):
        cls.lab.down()

    def start_sbcd(self, db=None):
        sbcd = labkit.Sbcd(self.lab, self.policy)
        if db:
            sbcd.registrations_db = db
        self.addCleanup(sbcd.cleanup)
        return sbcd.start()

    def register(self, sbcd, host, ip, users, scenario="register.xml", port=None, expires=300):
        inf = os.path.join(sbcd.dir, f"users-{host}-{len(os.listdir(sbcd.dir))}.csv")
        with open(inf, "w") as f:
            f.write("SEQUENTIAL\n")
            for u, p in users:
                f.write(f"{u};[authentication username={u} password={p}];{expires}\n")
        return labkit.sipp(self.lab, host, scenario, "198.18.1.1:5060", ip, calls=len(users),
                           local_port=port, extra=["-inf", inf])

    def registrations(self, sbcd):
        r = sbcd.ctl("registrations", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {e["username"]: e for e in json.loads(r.stdout)}

    def test_phones_register_and_survive_a_restart(self):
        sbcd = self.start_sbcd()
        r = self.register(sbcd, "phones", "198.18.1.11", [("1001", PHONES["1001"]), ("1002", PHONES["1002"])],
                          port=5071)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        regs = self.registrations(sbcd)
        self.assertEqual(regs["1001"]["state"], "registered")
        self.assertEqual(regs["1002"]["state"], "registered")
        self.assertEqual(regs["1003"]["state"], "never")
        b = regs["1001"]["bindings"][0]
        self.assertEqual(b["contact"], "sip:1001@198.18.1.11:5071")
        self.assertEqual(b["source"], "198.18.1.11:5071/udp")
        self.assertFalse(b["behind_nat"])
        self.assertGreater(b["expires_in"], 250)
        table = sbcd.ctl("registrations").stdout
        self.assertRegex(table, r"phone-1001\s+registered\s+sip:1001@198\.18\.1\.11:5071")
        text = sbcd.metrics()
        self.assertEqual(metric(text, "sbc_register_requests_total", '{outcome="ok"}'), 2)
        self.assertEqual(metric(text, "sbc_registrations"), 2)
        # Per phone: the REGISTERs updated their own series only.
        self.assertEqual(metric(text, "sbc_peer_registered", '{peer="phone-1001"}'), 1)
        self.assertEqual(metric(text, "sbc_peer_registered", '{peer="phone-1002"}'), 1)
        self.assertEqual(metric(text, "sbc_peer_registered", '{peer="phone-1003"}'), 0)

        db = sbcd.registrations_db
        self.assertEqual(sbcd.stop(), 0, sbcd.log_text())
        again = self.start_sbcd(db)
        regs = self.registrations(again)
        self.assertEqual(regs["1001"]["state"], "registered", "a restart must lose no phone")
        self.assertEqual(regs["1002"]["bindings"][0]["contact"], "sip:1002@198.18.1.11:5071")
        self.assertIn("bindings=2", again.log_text())

        # And the restored binding routes: the carrier calls 1001, and the
        # phone, listening where it registered from before the restart, gets
        # the INVITE, answers and hangs up with the caller.
        phone = labkit.SippServer(self.lab, "phones", "uas_answer.xml", "198.18.1.11",
                                  local_port=5071, timeout_s=30)
        self.addCleanup(phone.__exit__)
        labkit.wait_udp_listening(self.lab, "phones", "198.18.1.11", 5071)
        r = labkit.sipp(self.lab, "carA", "uac_call.xml", "198.18.2.1:5060", CAR_A,
                        local_port=5060, extra=["-s", "1001", "-d", "200"])
        self.assertEqual(r.returncode, 0, "the carrier's call failed:\n" + r.stdout[-2000:] +
                         "\n--- sbcd log ---\n" + again.log_text()[-3000:])
        self.assertEqual(phone.wait().returncode, 0,
                         "the call did not reach the phone:\n" + phone.output[-2000:])
        deadline = time.monotonic() + 5  # counted when the call's record is written
        while metric(again.metrics(), "sbc_calls_total", '{outcome="answered",peer="carA"}') != 1:
            self.assertLess(time.monotonic(), deadline, "the answered call was not counted")
            time.sleep(0.1)

    def test_phone_behind_nat(self):
        sbcd = self.start_sbcd()
        r = self.register(sbcd, "natph", "198.19.1.10", [("1003", PHONES["1003"])], port=5072)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        b = self.registrations(sbcd)["1003"]["bindings"][0]
        self.assertTrue(b["behind_nat"], b)
        self.assertTrue(b["source"].startswith("198.18.1.254:"), b)  # the router's address
        self.assertLessEqual(b["expires_in"], 60, "NATed contacts get a short expiry")

    def test_nat_keepalives_reach_the_phone_through_its_router(self):
        sbcd = self.start_sbcd()
        r = self.register(sbcd, "natph", "198.19.1.10", [("1003", PHONES["1003"])], port=5077)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        # The phone now listens where it registered from; the router's UDP
        # mapping (made by the REGISTER) is the only way in.
        r = labkit.sipp(self.lab, "natph", "options_uas.xml", "", "198.19.1.10", calls=1,
                        local_port=5077, timeout_s=15)
        self.assertEqual(r.returncode, 0, "no keepalive reached the phone:\n" + r.stdout[-1500:])
        deadline = time.monotonic() + 10
        while (labkit.metric(sbcd.metrics(), "sbc_nat_keepalives_total", '{outcome="answered"}') or 0) < 1:
            self.assertLess(time.monotonic(), deadline, "the keepalive's answer was not counted")
            time.sleep(0.1)

    def test_wrong_password_is_refused_then_the_source_is_banned(self):
        sbcd = self.start_sbcd()
        for _ in range(3):
            r = self.register(sbcd, "phones", "198.18.1.12", [("1002", "not-the-password")],
                              scenario="register_refused.xml", port=5073)
            self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        self.assertEqual(self.registrations(sbcd)["1002"]["state"], "never")
        # Banned now: a REGISTER from that address:port gets no answer at all.
        probe = (
            "REGISTER sip:198.18.1.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 198.18.1.12:5073;branch=z9hG4bK-ban-probe\r\n"
            "From: <sip:1002@198.18.1.1>;tag=b\r\nTo: <sip:1002@198.18.1.1>\r\n"
            "Call-ID: ban-probe@198.18.1.12\r\nCSeq: 1 REGISTER\r\n"
            "Contact: <sip:1002@198.18.1.12:5073>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
        script = ("import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                  "s.bind(('198.18.1.12',5073));s.settimeout(3);"
                  f"s.sendto({probe!r}.encode(),('198.18.1.1',5060))\n"
                  "try:\n  print(s.recv(2000).decode().split('\\r\\n')[0])\n"
                  "except socket.timeout:\n  print('no answer')\n")
        r = self.lab.run("phones", ["python3", "-c", script], timeout=20)
        # (A retransmission of this same request within the transaction's
        # lifetime gets nta's stored 408; docs/registrar.md. The dataplane
        # deny list will drop banned sources before SIP sees them.)
        self.assertEqual(r.stdout.strip(), "no answer", r.stdout + r.stderr)
        text = sbcd.metrics()
        self.assertGreaterEqual(metric(text, "sbc_register_requests_total", '{outcome="dropped"}'), 1)
        # Another phone at another address is not affected.
        r = self.register(sbcd, "phones", "198.18.1.13", [("1001", PHONES["1001"])], port=5074)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])


    def udp_exchange(self, ip, port, request, wait=2):
        """Sends one request from ip:port in the phones host; the first lines of
        the answers that came within `wait` seconds, joined by '|', or 'no answer'."""
        script = ("import socket,time;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                  f"s.bind(({ip!r},{port}));end=time.monotonic()+{wait};got=[]\n"
                  f"s.sendto({request!r}.encode(),('198.18.1.1',5060))\n"
                  "while time.monotonic()<end:\n"
                  "  s.settimeout(max(0.01,end-time.monotonic()))\n"
                  "  try: got.append(s.recv(2000).decode().split('\\r\\n')[0])\n"
                  "  except socket.timeout: break\n"
                  "print('|'.join(got) or 'no answer')\n")
        return self.lab.run("phones", ["python3", "-c", script], timeout=20).stdout.strip()

    @staticmethod
    def request(method, ip, port, tag, user_agent=None):
        ua = f"User-Agent: {user_agent}\r\n" if user_agent else ""
        body = ("v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
                "m=audio 4000 RTP/AVP 0\r\n").format(ip=ip) if method == "INVITE" else ""
        ctype = "Content-Type: application/sdp\r\n" if body else ""
        return (f"{method} sip:100@198.18.1.1 SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {ip}:{port};branch=z9hG4bK-{tag}\r\n"
                f"From: <sip:100@{ip}>;tag={tag}\r\nTo: <sip:100@198.18.1.1>\r\n"
                f"Call-ID: {tag}@{ip}\r\nCSeq: 1 {method}\r\n{ua}"
                f"Contact: <sip:100@{ip}:{port}>\r\nMax-Forwards: 70\r\n{ctype}"
                f"Content-Length: {len(body)}\r\n\r\n{body}")

    def test_scanner_user_agents_get_nothing_and_their_address_is_banned(self):
        sbcd = self.start_sbcd()
        # The baseline: an OPTIONS without a scanner's User-Agent is answered.
        self.assertEqual(self.udp_exchange("198.18.1.14", 5080, self.request("OPTIONS", "198.18.1.14", 5080, "ok1")),
                         "SIP/2.0 200 OK")
        # friendly-scanner (SIPVicious) and sipvicious are in the default patterns.
        self.assertEqual(self.udp_exchange("198.18.1.13", 5081, self.request(
            "OPTIONS", "198.18.1.13", 5081, "scan1", "friendly-scanner")), "no answer")
        # An INVITE cannot be dropped without a trace through nta (it sends
        # 100 Trying by itself; controlplane/silent_drop.h): no final answer.
        self.assertEqual(self.udp_exchange("198.18.1.13", 5082, self.request(
            "INVITE", "198.18.1.13", 5082, "scan2", "SIPVicious 0.3")), "SIP/2.0 100 Trying")
        # Its address is banned now (no registration uses it): an ordinary
        # OPTIONS from another of its ports gets nothing either.
        self.assertEqual(self.udp_exchange("198.18.1.13", 5083, self.request(
            "OPTIONS", "198.18.1.13", 5083, "after")), "no answer")
        self.assertEqual(self.udp_exchange("198.18.1.14", 5084, self.request("OPTIONS", "198.18.1.14", 5084, "ok2")),
                         "SIP/2.0 200 OK", "another address is not affected")
        text = sbcd.metrics()
        self.assertEqual(metric(text, "sbc_sip_requests_dropped_total", '{leg="access",reason="scanner"}'), 2)
        self.assertEqual(metric(text, "sbc_sip_requests_dropped_total", '{leg="access",reason="banned"}'), 1)
        self.assertIn("who=198.18.1.13 reason=\"scanner user agent\"", sbcd.log_text())

    def test_absurd_expires_saturates_and_a_foreign_digest_uri_is_refused(self):
        sbcd = self.start_sbcd()
        r = self.register(sbcd, "phones", "198.18.1.14", [("1001", PHONES["1001"])], port=5075,
                          expires=4294967296)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        b = self.registrations(sbcd)["1001"]["bindings"][0]
        self.assertEqual(b["expires_in"], 3600, "capped to the maximum, not wrapped to 0")
        # Credentials whose digest uri names another request.
        bad = ("REGISTER sip:198.18.1.1 SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 198.18.1.14:5076;branch=z9hG4bK-uri\r\n"
               "From: <sip:1001@198.18.1.1>;tag=u\r\nTo: <sip:1001@198.18.1.1>\r\n"
               "Call-ID: uri@198.18.1.14\r\nCSeq: 1 REGISTER\r\n"
               "Authorization: Digest username=\"1001\", realm=\"sbc\", nonce=\"x\", "
               "uri=\"sip:elsewhere.example\", response=\"00000000000000000000000000000000\"\r\n"
               "Contact: <sip:1001@198.18.1.14:5076>\r\nContent-Length: 0\r\n\r\n")
        script = ("import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                  "s.bind(('198.18.1.14',5076));s.settimeout(3);"
                  f"s.sendto({bad!r}.encode(),('198.18.1.1',5060));"
                  "print(s.recv(2000).decode().split('\\r\\n')[0])")
        r = self.lab.run("phones", ["python3", "-c", script], timeout=20)
        self.assertEqual(r.stdout.strip(), "SIP/2.0 400 Digest uri does not match the Request-URI",
                         r.stderr)


if __name__ == "__main__":
    labkit.run_root_tests()
