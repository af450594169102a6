"""Reliable provisional responses (RFC 3262, 100rel/PRACK) through the real
sbcd, in the lab and with the call policy of b2bua_test.py: the PBX
(198.18.1.11) calls carA (198.18.2.10) through the SBC, both played by sipp.
The scenarios check every message (a reliable 18x with Require: 100rel and
an RSeq, the PRACK naming it, the PRACK's 200 before the INVITE's, the SDP
anchored on each side's leg); sbcd's counters say what crossed. Early media
on the DPDK dataplane: RTP relayed both ways before the 200."""

import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402
import b2bua_test as calls  # noqa: E402  (the lab's call policy and helpers)

metric = labkit.metric
REL = "sbc_call_reliable_provisionals_total"


def rel_event(text, event):
    return metric(text, REL, '{event="%s"}' % event)


class ReliableProvisionals(calls.CallLab, unittest.TestCase):

    def counted(self, expected, timeout=5.0):
        """sbcd's RFC 3262 counters once they show `expected` (they are
        published on the event loop's next refresh); returns the metrics."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.sbcd.metrics()
            got = {e: rel_event(text, e) for e in expected}
            if got == expected or time.monotonic() > deadline:
                self.assertEqual(got, expected, self.sbcd.log_text()[-3000:])
                return text
            time.sleep(0.1)

    def test_a_reliable_183_with_early_media_and_its_prack_cross_end_to_end(self):
        # carA's reliable 183 (sent twice: a retransmission) reaches the PBX
        # once, as a reliable 183 of the SBC's; the PBX's PRACK reaches carA
        # naming carA's RSeq, and carA's 200 to it comes back to the PBX.
        a = self.uas("carA", calls.CAR_A, "uas_answer_100rel.xml")
        uac = labkit.scenario_with_status("uac_call_100rel.xml", 183, self.tmp)
        r = self.call("1020", uac)
        self.assert_ok(a.wait(), "carA (reliable 183)")
        self.assert_ok(r, "caller (Require: 100rel)")
        rec = self.records_lines(1)
        self.assertEqual([(r["final_status"], r["ended_by"]) for r in rec], [(200, "caller")])
        self.counted({"received": 1, "retransmission_dropped": 1, "sent": 1,
                      "prack_received": 1, "prack_sent": 1, "without_rseq": 0})

    def test_b_late_offer_early_media_offer_in_183_answer_in_prack(self):
        # INVITE without SDP: carA's offer comes in its reliable 183, anchored
        # on access; the PBX's answer in its PRACK reaches carA anchored on
        # core; the 200 repeats the session and the ACK carries no SDP.
        a = self.uas("carA", calls.CAR_A, "uas_answer_100rel_late.xml")
        self.assert_ok(self.call("1021", "uac_call_100rel_late.xml"), "caller (late offer)")
        self.assert_ok(a.wait(), "carA (offer in a reliable 183, answer in the PRACK)")
        rec = self.records_lines(1)
        self.assertEqual([(r["final_status"], r["ended_by"]) for r in rec], [(200, "caller")])
        log = self.sbcd.log_text()
        self.assertNotIn("early_answer_refused", log)
        self.assertNotIn("early_offer_refused", log)
        self.counted({"received": 1, "sent": 1, "prack_received": 1, "prack_sent": 1})

    def test_c_a_caller_that_requires_100rel_and_a_callee_without_it(self):
        # Per leg: carA (uas_answer.xml, pausing after its 180) knows nothing
        # of 100rel; the PBX requires it, so the SBC sends the 180 reliably
        # itself and answers the PBX's PRACK; nothing reaches carA.
        with open(os.path.join(labkit.SIPP_DIR, "uas_answer.xml")) as f:
            text = f.read()
        marker = '  <send retrans="500"><![CDATA[\nSIP/2.0 200 OK'
        self.assertIn(marker, text)
        text = text.replace(marker, '  <pause milliseconds="1000"/>\n' + marker, 1)
        uas = os.path.join(self.tmp, "uas_answer_pause.xml")
        with open(uas, "w") as f:
            f.write(text)
        a = self.uas("carA", calls.CAR_A, uas)
        uac = labkit.scenario_with_status("uac_call_100rel.xml", 180, self.tmp)
        self.assert_ok(self.call("1022", uac), "caller (Require: 100rel, callee without)")
        self.assert_ok(a.wait(), "carA (no 100rel)")
        self.assertEqual(self.records_lines(1)[0]["final_status"], 200)
        self.counted({"received": 0, "sent": 0, "prack_received": 0, "prack_sent": 0})

    def test_d_a_prack_of_no_known_response_gets_481(self):
        # Inside the early dialog, a PRACK naming an RSeq never sent gets 481
        # (RFC 3262 3) and the call goes on; then the real PRACK crosses.
        with open(os.path.join(labkit.SIPP_DIR, "uac_call_100rel.xml")) as f:
            text = f.read().replace("__STATUS__", "183")
        bad = '''  <send retrans="500"><![CDATA[
PRACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:6001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 2 PRACK
RAck: 999999 1 INVITE
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <recv response="481"/>
'''
        first = '  <send retrans="500"><![CDATA[\nPRACK'
        self.assertIn(first, text)
        text = (text.replace("CSeq: 3 BYE", "CSeq: 4 BYE")
                .replace("CSeq: 2 PRACK", "CSeq: 3 PRACK")
                .replace('regexp="2 PRACK"', 'regexp="3 PRACK"')
                .replace(first, bad + first, 1))
        uac = os.path.join(self.tmp, "uac_call_100rel_bad_rack.xml")
        with open(uac, "w") as f:
            f.write(text)
        a = self.uas("carA", calls.CAR_A, "uas_answer_100rel.xml")
        self.assert_ok(self.call("1023", uac), "caller (a PRACK of no response first)")
        self.assert_ok(a.wait(), "carA")
        self.counted({"prack_received": 1, "prack_sent": 1})

    def test_d2_a_reliable_180_without_rseq_is_passed_on_unreliably(self):
        # carA's 180 requires 100rel but has no RSeq (it cannot be PRACKed):
        # counted, and the PBX (uac_call.xml, no 100rel) gets an ordinary 180.
        with open(os.path.join(labkit.SIPP_DIR, "uas_answer.xml")) as f:
            text = f.read()
        ringing = "SIP/2.0 180 Ringing\n"
        self.assertIn(ringing, text)
        text = text.replace(ringing, ringing + "Require: 100rel\n", 1)
        uas = os.path.join(self.tmp, "uas_answer_no_rseq.xml")
        with open(uas, "w") as f:
            f.write(text)
        a = self.uas("carA", calls.CAR_A, uas)
        self.assert_ok(self.call("1026"), "caller (no 100rel)")
        self.assert_ok(a.wait(), "carA (Require: 100rel without RSeq)")
        self.counted({"without_rseq": 1, "received": 0, "sent": 0, "prack_sent": 0})

    def test_d3_a_caller_that_never_pracks_is_answered_503_and_the_callee_cancelled(self):
        # The PBX requires 100rel and never PRACKs the 180 it is sent
        # reliably: after 64*T1 (timer_b, 4 s here) nta answers 503 and the
        # SBC cancels carA as if the caller had given up.
        a = self.uas("carA", calls.CAR_A, "uas_ring_cancel.xml")
        uac = self.refused_with(503, "Require: 100rel\nSupported: 100rel\n", "Call-ID:", ".")
        self.assert_ok(self.call("1027", uac), "caller (never PRACKs)")
        self.assert_ok(a.wait(), "carA (cancelled)")
        self.counted({"not_pracked": 1}, timeout=10)
        self.assertEqual(self.records_lines(1)[0]["ended_by"], "caller")

    def test_e_a_prack_outside_any_dialog_gets_481(self):
        script = r'''
import socket
def prack(n, to_tag):
    return ("PRACK sip:1024@198.18.1.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 198.18.1.11:5090;branch=z9hG4bK-prack" + str(n) + "\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:6001@198.18.1.11>;tag=1\r\n"
            "To: <sip:1024@198.18.1.1>" + to_tag + "\r\nCall-ID: no-such-call-" + str(n) + "@x\r\n"
            "CSeq: 2 PRACK\r\nRAck: 1 1 INVITE\r\nContent-Length: 0\r\n\r\n")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.1.11", 5090)); s.settimeout(5)
for n, tag in ((1, ";tag=abc"), (2, "")):
    s.sendto(prack(n, tag).encode(), ("198.18.1.1", 5060))
    print(s.recv(4000).decode().split("\r\n")[0])
'''
        r = self.lab.run("phones", ["python3", "-c", script], timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([l.split(" ")[1] for l in r.stdout.splitlines()], ["481", "481"],
                         r.stdout)
        self.assertEqual(json.loads(self.sbcd.ctl("status", "--json").stdout)["active_calls"], 0)


class EarlyMediaOnTheDpdkDataplane(labkit.SharedLab, unittest.TestCase):
    """Early media on a late offer through sbcd's DPDK dataplane: after the
    PRACK (the answer) and before carA's 200, RTP from carA reaches the PBX
    and the PBX's comes back to carA."""
    lab_mode = "dataplane"

    def test_rtp_flows_before_the_200(self):
        sbcd = calls.start_on_dataplane(self, self.lab, ["--log-level", "debug"])
        # carA's 200 waits 8 s after the PRACK (-d): the early media window.
        uas = labkit.SippServer(self.lab, "carA", "uas_answer_100rel_late.xml", calls.CAR_A,
                                timeout_s=40, extra=["-d", "8000"])
        self.addCleanup(uas.__exit__)
        calls.wait_udp_listening(self.lab, "carA", calls.CAR_A, 5060)
        uac = labkit.SippServer(self.lab, "phones", "uac_call_100rel_late.xml", calls.PBX,
                                target=calls.SBC_ACCESS, timeout_s=40,
                                extra=["-s", "1025", "-d", "500"])
        self.addCleanup(uac.__exit__)

        def port_changes():
            return re.findall(r"media_ports call=1 a/b=(\d+)/(\d+)", sbcd.log_text())

        deadline = time.monotonic() + 15
        while len(port_changes()) < 2:  # opened by the 183's offer, then the PRACK's answer
            self.assertLess(time.monotonic(), deadline, sbcd.log_text()[-3000:])
            time.sleep(0.1)
        core_port = port_changes()[0][1]
        st = json.loads(sbcd.ctl("calls", "--json").stdout)
        self.assertEqual([c["state"] for c in st["calls"]], ["early"], st)
        # The hosts' MACs reach the dataplane through the kernel's neighbour
        # table (published by housekeeping every 200 ms), as in b2bua_test.
        self.assertTrue(self.lab.ping("carA", "198.18.2.1"))
        self.assertTrue(self.lab.ping("phones", "198.18.1.1"))
        time.sleep(0.5)
        sent = calls.rtp_through(self, self.lab, 7000, core_port)
        self.assertEqual((sent["sent"], sent["replies"]), (10, 10), sent)
        # All of it before the answer: the call was still ringing.
        st = json.loads(sbcd.ctl("calls", "--json").stdout)
        self.assertEqual([c["state"] for c in st["calls"]], ["early"], st)
        self.assertEqual(uac.wait().returncode, 0, uac.output)
        self.assertEqual(uas.wait().returncode, 0, uas.output)


if __name__ == "__main__":
    labkit.run_root_tests()
