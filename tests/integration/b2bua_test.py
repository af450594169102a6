"""Calls through the real sbcd (control-plane-only mode, --no-dataplane; one call
also with the DPDK dataplane) in a lab:
a PBX on the phones network (198.18.1.11, trusted by address on leg access)
calls through the SBC to two carriers on leg core (carA 198.18.2.10, carB
198.18.2.20), each played by sipp. Every check is on what the callers and
callees saw (sipp's exit status: every scenario step happened), on sbcd's
metrics, call records and `sbcctl calls`; never on timings."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402

SBC_ACCESS = "198.18.1.1:5060"
SBC_CORE = "198.18.2.1:5060"
PBX = "198.18.1.11"
CAR_A = "198.18.2.10"
CAR_B = "198.18.2.20"
CAP_A = 2  # carA's channel cap
PHONE = "198.18.1.12"  # alice, a phone: digest, not trusted by address
ALICE_PASSWORD = "Zq8#vL2m-Tr5pW"


def policy(lab, timers=""):
    return labkit.lab_policy(lab, tcp=False) + f"""
peers:
  - name: pbx
    kind: trunk
    leg: access
    address: {PBX}
    auth: {{mode: ip}}
    probe: {{interval: 0s}}  # sipp plays the peers and answers no OPTIONS
  - name: carA
    kind: trunk
    leg: core
    address: {CAR_A}
    auth: {{mode: ip}}
    probe: {{interval: 0s}}
    channels: {{max: {CAP_A}, alert_at: {CAP_A}}}
  - name: carB
    kind: trunk
    leg: core
    address: {CAR_B}
    auth: {{mode: ip}}
    probe: {{interval: 0s}}
  - name: alice
    kind: phone
    leg: access
    auth: {{username: alice, password: "{ALICE_PASSWORD}"}}
routes:
  - {{prefix: "1", from: pbx, to: carA}}
  - {{prefix: "2", from: pbx, to: [carA, carB]}}
  - {{prefix: "5", from: carA, to: pbx}}
  - {{prefix: "3", from: alice, to: carA}}
  - {{prefix: "4", from: carA, to: alice}}
security:
  failed_auth: {{threshold: 2, window: 1m, ban: 1m}}
timers:
  timer_b: 4s
  failover: 3s  # a silent candidate is given up after this (test_e2)
""" + timers


metric = labkit.metric
UDP_ACTOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dataplane",
                         "udp_actor.py")


def start_on_dataplane(test, lab, extra_args=()):
    """sbcd with its DPDK dataplane (af_xdp) and this module's policy, stopped
    at the test's cleanup. Overload shedding stays on, as in production: the
    lag probe starts with the running loop, so the dataplane's start is not
    read as lag (controlplane/event_loop.cc)."""
    text = labkit.lab_policy(lab, tcp=False, driver="af_xdp")
    text += policy(lab)[len(labkit.lab_policy(lab, tcp=False)):]
    sbcd = labkit.Sbcd(lab, text, dataplane=True,
                       extra_args=list(extra_args))
    test.addCleanup(sbcd.cleanup)
    sbcd.start(timeout=60)
    return sbcd


def rtp_through(test, lab, car_port, core_port):
    """On the DPDK dataplane: carA sends 10 RTP packets from CAR_A:car_port to
    the SBC's core_port and the PBX echoes them from port 7000 once it has
    them all (udp_actor echo); asserts the PBX got all 10 and returns the
    sender's report (sent, replies)."""
    echo = lab.popen("phones", ["python3", UDP_ACTOR, "echo", PBX, "7000", "10", "10"],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(0.3)  # the echo's socket is bound
        r = lab.run("carA", ["python3", UDP_ACTOR, "send", CAR_A, str(car_port), "198.18.2.1",
                             str(core_port), "10", "3"], timeout=20)
        out, _ = echo.communicate(timeout=20)
    finally:
        if echo.poll() is None:
            echo.kill()
            echo.wait()
    test.assertEqual(r.returncode, 0, r.stderr)
    test.assertEqual(json.loads(out.strip().splitlines()[-1])["received"], 10, out)
    return json.loads(r.stdout)


scenario_with_status = labkit.scenario_with_status
wait_udp_listening = labkit.wait_udp_listening


class CallLab(labkit.SharedLab):
    """sbcd with the module's policy (plus `timers` lines) per test, and the
    helpers to place calls through it."""
    timers = ""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="b2bua-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.records = os.path.join(self.tmp, "calls.jsonl")
        self.sbcd = labkit.Sbcd(self.lab, policy(self.lab, self.timers),
                                extra_args=["--call-records", self.records, "--debug-commands"])
        self.addCleanup(self.sbcd.cleanup)
        self.sbcd.start()

    # helpers ---------------------------------------------------------------

    def uas(self, host, address, scenario, calls=1, status=None, extra=(), cwd=None):
        if status is not None:
            scenario = scenario_with_status(scenario, status, self.tmp)
        s = labkit.SippServer(self.lab, host, scenario, address, calls=calls, timeout_s=30,
                              extra=extra, cwd=cwd)
        self.addCleanup(s.__exit__)
        wait_udp_listening(self.lab, host, address, 5060)
        return s

    def call(self, number, scenario="uac_call.xml", status=None, calls=1, extra=(), cwd=None,
             host="phones", target=SBC_ACCESS, local_ip=PBX, timeout_s=30):
        if status is not None:
            scenario = scenario_with_status(scenario, status, self.tmp)
        return labkit.sipp(self.lab, host, scenario, target, local_ip, calls=calls,
                           local_port=5060, extra=["-s", number, "-d", "200"] + list(extra),
                           cwd=cwd, timeout_s=timeout_s)

    def assert_ok(self, r, what):
        out = getattr(r, "stdout", None) or getattr(r, "output", "")
        self.assertEqual(r.returncode, 0, f"{what} failed:\n{out}\n{getattr(r, 'stderr', '')}\n"
                         f"--- sbcd log ---\n{self.sbcd.log_text()[-4000:]}")

    def refused_with(self, status, headers, header, regexp):
        """uac_rejected.xml with `headers` added to its INVITE, expecting
        `status` with `header` matching `regexp`; returns its path."""
        with open(scenario_with_status("uac_rejected.xml", status, self.tmp)) as f:
            text = f.read()
        text = text.replace("Max-Forwards: 70\n", "Max-Forwards: 70\n" + headers, 1)
        text = text.replace(f'<recv response="{status}"/>',
                            f'<recv response="{status}"><action><ereg regexp="{regexp}" '
                            f'search_in="hdr" header="{header}" check_it="true" assign_to="h"/>'
                            '</action></recv><Reference variables="h"/>', 1)
        self.assertIn(headers, text)
        self.assertIn(header, text)
        scenario = os.path.join(self.tmp, f"uac_refused_{status}.xml")
        with open(scenario, "w") as f:
            f.write(text)
        return scenario

    def records_lines(self, expected, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(self.records) as f:
                    lines = [json.loads(l) for l in f if l.strip()]
            except FileNotFoundError:
                lines = []
            if len(lines) >= expected or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def settled_metrics(self, timeout=5.0):
        """Metrics once no call is active (gauges refresh on the loop)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.sbcd.metrics()
            if metric(text, "sbc_calls_active") == 0 or time.monotonic() > deadline:
                return text
            time.sleep(0.05)


class B2buaCalls(CallLab, unittest.TestCase):
    # flows -----------------------------------------------------------------

    def test_a_answered_call_caller_hangs_up(self):
        a = self.uas("carA", CAR_A, "uas_answer.xml")
        self.assert_ok(self.call("1001"), "caller")
        self.assert_ok(a.wait(), "carA")
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="answered",peer="pbx"}'), 1)
        self.assertEqual(metric(text, "sbc_calls_active"), 0)
        self.assertEqual(metric(text, "sbc_channels_active", '{peer="carA"}'), 0)
        rec = self.records_lines(1)
        self.assertEqual(len(rec), 1, rec)
        self.assertEqual(rec[0]["source_peer"], "pbx")
        self.assertEqual(rec[0]["destination_peer"], "carA")
        self.assertEqual(rec[0]["called_in"], "1001")
        self.assertTrue(rec[0]["answered"])
        self.assertEqual(rec[0]["ended_by"], "caller")
        self.assertEqual(rec[0]["attempts"], ["carA:200"])
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_b_callee_hangs_up(self):
        a = self.uas("carA", CAR_A, "uas_answer_then_bye.xml", extra=["-d", "300"])
        self.assert_ok(self.call("1002", "uac_callee_hangs_up.xml"), "caller")
        self.assert_ok(a.wait(), "carA")
        rec = self.records_lines(1)
        self.assertEqual([r["ended_by"] for r in rec], ["callee"])
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="answered",peer="pbx"}'), 1)

    def test_c_busy_is_passed_through(self):
        a = self.uas("carA", CAR_A, "uas_reject.xml", status=486)
        self.assert_ok(self.call("1003", "uac_rejected.xml", status=486), "caller")
        self.assert_ok(a.wait(), "carA")
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="busy",peer="pbx"}'), 1)
        rec = self.records_lines(1)
        self.assertEqual(rec[0]["final_status"], 486)
        self.assertEqual(rec[0]["attempts"], ["carA:486"])

    def test_d_unknown_number_404(self):
        self.assert_ok(self.call("9999", "uac_rejected.xml", status=404), "caller")
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="not_found",peer="pbx"}'), 1)
        rec = self.records_lines(1)
        self.assertEqual(rec[0]["final_status"], 404)
        self.assertEqual(rec[0]["attempts"], [])

    def test_e_failover_503_then_answer(self):
        a = self.uas("carA", CAR_A, "uas_reject.xml", status=503)
        b = self.uas("carB", CAR_B, "uas_answer.xml")
        self.assert_ok(self.call("2001"), "caller")
        self.assert_ok(a.wait(), "carA")
        self.assert_ok(b.wait(), "carB")
        rec = self.records_lines(1)
        self.assertEqual(rec[0]["attempts"], ["carA:503", "carB:200"])
        self.assertEqual(rec[0]["destination_peer"], "carB")
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="answered",peer="pbx"}'), 1)

    def test_e3_redirect_is_not_followed_and_fails_over(self):
        # carA answers 302 (no Contact is followed): the call goes to carB.
        a = self.uas("carA", CAR_A, "uas_reject.xml", status=302)
        b = self.uas("carB", CAR_B, "uas_answer.xml")
        self.assert_ok(self.call("2003"), "caller")
        self.assert_ok(a.wait(), "carA (302)")
        self.assert_ok(b.wait(), "carB")
        rec = self.records_lines(1)
        self.assertEqual(rec[0]["attempts"], ["carA:302", "carB:200"])

    def test_e2_failover_when_a_carrier_stays_silent(self):
        a = self.uas("carA", CAR_A, "uas_silent.xml")
        b = self.uas("carB", CAR_B, "uas_answer.xml")
        self.assert_ok(self.call("2002"), "caller")
        self.assert_ok(b.wait(), "carB")
        a.stop()
        rec = self.records_lines(1)
        self.assertEqual(rec[0]["attempts"], ["carA:408", "carB:200"])
        self.assertTrue(rec[0]["answered"])

    def test_f_channel_cap(self):
        a = self.uas("carA", CAR_A, "uas_answer.xml", calls=CAP_A)
        held = [labkit.SippServer(self.lab, "phones", "uac_call.xml", PBX, calls=1,
                                  local_port=5070 + i, target=SBC_ACCESS, timeout_s=30,
                                  extra=["-s", f"10{i}", "-d", "4000"])
                for i in range(CAP_A)]
        for h in held:
            self.addCleanup(h.__exit__)
        # Both calls established (sbcctl calls), then one more is refused.
        deadline = time.monotonic() + 10
        while True:
            r = self.sbcd.ctl("calls", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            calls = json.loads(r.stdout)["calls"]
            if len(calls) == CAP_A and all(c["state"] == "established" for c in calls):
                break
            self.assertLess(time.monotonic(), deadline, f"calls never established: {calls}")
            time.sleep(0.1)
        self.assertEqual({c["destination_peer"] for c in calls}, {"carA"})
        self.assertEqual({c["source_peer"] for c in calls}, {"pbx"})
        self.assertFalse(json.loads(r.stdout)["media_relayed"])
        table = self.sbcd.ctl("calls").stdout
        self.assertRegex(table, r"(?m)^\d+\s+established\s+pbx@access\s+carA@core\s+100\s+\S+\s+0/0\s+\d+s$")
        for c in calls:
            self.assertEqual((c["leg_in"], c["leg_out"]), ("access", "core"))
            self.assertTrue(c["codec"], c)
        self.assertIn("2 active call(s); media not relayed", table)
        st = json.loads(self.sbcd.ctl("status", "--json").stdout)
        self.assertEqual((st["active_calls"], st["media_relayed"]), (CAP_A, False))
        text = self.sbcd.metrics()
        self.assertEqual(metric(text, "sbc_channels_active", '{peer="carA"}'), CAP_A)
        self.assertEqual(metric(text, "sbc_calls_active"), CAP_A)
        self.assert_ok(self.call("1099", "uac_rejected.xml", status=503), "call over the cap")
        for h in held:
            self.assert_ok(h.wait(), "held call")
        self.assert_ok(a.wait(), "carA")
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="answered",peer="pbx"}'), CAP_A)
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="unavailable",peer="pbx"}'), 1)
        self.assertEqual(metric(text, "sbc_channels_active", '{peer="carA"}'), 0)

    def test_g_cancel_while_ringing(self):
        a = self.uas("carA", CAR_A, "uas_ring_cancel.xml")
        self.assert_ok(self.call("1004", "uac_cancel.xml"), "caller")
        self.assert_ok(a.wait(), "carA (saw the CANCEL)")
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="cancelled",peer="pbx"}'), 1)
        rec = self.records_lines(1)
        self.assertEqual(rec[0]["final_status"], 487)
        self.assertEqual(rec[0]["ended_by"], "caller")

    def test_h_topology_hiding(self):
        a_dir = os.path.join(self.tmp, "carA")
        p_dir = os.path.join(self.tmp, "phones")
        os.makedirs(a_dir)
        os.makedirs(p_dir)
        a = self.uas("carA", CAR_A, "uas_answer.xml", extra=["-trace_msg"], cwd=a_dir)
        self.assert_ok(self.call("1005", extra=["-trace_msg"], cwd=p_dir), "caller")
        self.assert_ok(a.wait(), "carA")

        def trace(d):
            logs = [f for f in os.listdir(d) if f.endswith("_messages.log")]
            self.assertEqual(len(logs), 1, logs)
            with open(os.path.join(d, logs[0])) as f:
                return f.read()

        core_side, access_side = trace(a_dir), trace(p_dir)
        self.assertIn("INVITE sip:1005@198.18.2.10", core_side)
        a_call_id = re.search(r"^Call-ID: *(\S+)", access_side, re.M | re.I).group(1)
        b_call_id = re.search(r"^Call-ID: *(\S+)", core_side, re.M | re.I).group(1)
        self.assertNotEqual(a_call_id, b_call_id)
        self.assertNotIn(a_call_id, core_side)
        self.assertNotIn(b_call_id, access_side)
        self.assertNotIn("198.18.1.", core_side)
        self.assertNotIn("198.18.2.", access_side)
        self.assertNotIn("sipp-phone-side", core_side)  # the caller's User-Agent
        # Max-Forwards crossed, one less.
        self.assertRegex(core_side, r"(?m)^Max-Forwards: *69\s*$")

    def test_h2_asserted_identity_crosses_between_trusted_trunks(self):
        # The PBX (an address-trusted trunk) asserts its caller's identity and
        # asks for privacy: carA (trusted too) gets both, as they were sent.
        with open(os.path.join(labkit.SIPP_DIR, "uac_call.xml")) as f:
            text = f.read()
        text = text.replace("User-Agent: sipp-phone-side\n",
                            "User-Agent: sipp-phone-side\n"
                            "P-Asserted-Identity: <sip:+493055501@pbx.example>\n"
                            "Privacy: id\n", 1)
        self.assertIn("P-Asserted-Identity", text)
        scenario = os.path.join(self.tmp, "uac_call_pai.xml")
        with open(scenario, "w") as f:
            f.write(text)
        a_dir = os.path.join(self.tmp, "carA")
        os.makedirs(a_dir)
        a = self.uas("carA", CAR_A, "uas_answer.xml", extra=["-trace_msg"], cwd=a_dir)
        self.assert_ok(self.call("1015", scenario), "caller")
        self.assert_ok(a.wait(), "carA")
        logs = [f for f in os.listdir(a_dir) if f.endswith("_messages.log")]
        with open(os.path.join(a_dir, logs[0])) as f:
            core_side = f.read()
        self.assertRegex(core_side,
                         r"(?mi)^P-Asserted-Identity: *<sip:\+493055501@pbx\.example>\s*$")
        self.assertRegex(core_side, r"(?mi)^Privacy: *id\s*$")

    def test_h3_an_unsupported_required_extension_is_refused_420(self):
        # Only timer and 100rel (prack_test.py) are supported: a caller that
        # requires anything else gets 420 naming it (and not the ones we
        # support), and no call is placed.
        scenario = self.refused_with(420, "Require: 100rel, precondition\nSupported: 100rel\n",
                                     "Unsupported:", "precondition")
        self.assert_ok(self.call("1016", scenario), "caller (420)")
        self.assertEqual(json.loads(self.sbcd.ctl("status", "--json").stdout)["active_calls"], 0)
        self.assertIn("requires precondition", self.sbcd.log_text())

    def test_i_reverse_direction_carrier_calls_pbx(self):
        p = self.uas("phones", PBX, "uas_answer.xml")
        self.assert_ok(self.call("5001", host="carA", target=SBC_CORE, local_ip=CAR_A), "carA")
        self.assert_ok(p.wait(), "pbx")
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="answered",peer="carA"}'), 1)
        rec = self.records_lines(1)
        self.assertEqual((rec[0]["source_peer"], rec[0]["destination_peer"]), ("carA", "pbx"))

    def test_k_phone_calls_with_digest(self):
        a = self.uas("carA", CAR_A, "uas_answer.xml")
        r = self.call("3001", "uac_call_auth.xml", local_ip=PHONE,
                      extra=["-au", "alice", "-ap", ALICE_PASSWORD])
        self.assert_ok(r, "alice")
        self.assert_ok(a.wait(), "carA")
        rec = self.records_lines(1)
        self.assertEqual([(x["source_peer"], x["destination_peer"], x["answered"]) for x in rec],
                         [("alice", "carA", True)])
        # A wrong password is challenged again, never put through.
        r = self.call("3002", "uac_call_auth.xml", local_ip=PHONE,
                      extra=["-au", "alice", "-ap", "wrong-password"], timeout_s=5)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("invite_auth_failed", self.sbcd.log_text())
        self.assertEqual(len(self.records_lines(1)), 1)

    def test_l_call_records_reopen_on_sighup_for_logrotate(self):
        a = self.uas("carA", CAR_A, "uas_answer.xml", calls=2)
        self.assert_ok(self.call("1007"), "first call")
        self.assertEqual(len(self.records_lines(1)), 1)
        rotated = self.records + ".1"
        os.rename(self.records, rotated)
        self.sbcd.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.records):
            self.assertLess(time.monotonic(), deadline, "records file not reopened on SIGHUP")
            time.sleep(0.05)
        self.assert_ok(self.call("1008"), "second call")
        self.assert_ok(a.wait(), "carA")
        with open(rotated) as f:
            self.assertEqual([json.loads(l)["called_in"] for l in f], ["1007"])
        self.assertEqual([r["called_in"] for r in self.records_lines(1)], ["1008"])

    def test_m_info_is_relayed_inside_the_call(self):
        a = self.uas("carA", CAR_A, "uas_answer_info.xml")
        self.assert_ok(self.call("1009", "uac_call_info.xml"), "caller (INFO answered 200)")
        self.assert_ok(a.wait(), "carA (got the INFO with its digit)")
        self.assertEqual([r["ended_by"] for r in self.records_lines(1)], ["caller"])

    def test_m2_refer_is_relayed_with_its_notifies_and_hides_both_sides(self):
        # The PBX transfers the call (Refer-To with a Replaces): carA gets a
        # REFER naming the SBC's core address (user part kept, the Replaces
        # dropped, so its new INVITE would come to the SBC and be routed), its
        # NOTIFYs come back with this side's REFER CSeq as their id and only
        # the sipfrag's status line; the scenarios check all of it, and that
        # a request on the dialog once the call has ended gets 481.
        p_dir = os.path.join(self.tmp, "phones")
        os.makedirs(p_dir)
        a = self.uas("carA", CAR_A, "uas_answer_refer.xml")
        self.assert_ok(self.call("1020", "uac_call_refer.xml", extra=["-trace_msg"], cwd=p_dir),
                       "caller (REFER 202, two NOTIFYs, 481 after the end)")
        self.assert_ok(a.wait(), "carA (REFER rewritten, NOTIFYs answered)")
        self.assertEqual([r["ended_by"] for r in self.records_lines(1)], ["caller"])
        logs = [f for f in os.listdir(p_dir) if f.endswith("_messages.log")]
        with open(os.path.join(p_dir, logs[0])) as f:
            access_side = f.read()
        self.assertNotIn("198.18.2.", access_side)
        self.assertNotIn("transfer-target", access_side)  # the sipfrag's Contact stayed behind

    def test_m3_a_forking_callee_keeps_the_first_answer_and_the_other_is_hung_up(self):
        # carA rings two phones (two early dialogs) and both answer: the
        # first 200 is the call, the second is ACKed and gets a BYE in its
        # own dialog (the scenario checks the To tag and target), and the
        # caller sees one call that it hangs up normally.
        a = self.uas("carA", CAR_A, "uas_answer_forked.xml")
        self.assert_ok(self.call("1024"), "caller")
        self.assert_ok(a.wait(), "carA (both forks ACKed, desk hung up, mobile hung up by the caller)")
        self.assertEqual([(r["ended_by"], r["attempts"]) for r in self.records_lines(1)],
                         [("caller", ["carA:200"])])

    def test_p_hold_and_resume_from_either_side(self):
        # The PBX holds (sendonly) and resumes with re-INVITEs, the carrier
        # holds from a new port; each offer and answer crosses with the SBC's
        # address on that side only (the scenarios check directions and
        # addresses); a re-INVITE without SDP gets the callee's offer in the
        # 200 and its answer goes to the callee in the SBC's ACK.
        a = self.uas("carA", CAR_A, "uas_answer_hold.xml")
        self.assert_ok(self.call("1010", "uac_call_hold.xml"), "caller (hold, resume, held)")
        self.assert_ok(a.wait(), "carA (hold, resume, holds)")
        records = self.records_lines(1)
        self.assertEqual([(r["ended_by"], r["final_status"]) for r in records],
                         [("caller", 200)])
        log = self.sbcd.log_text()
        self.assertNotIn("offer_refused", log)
        self.assertNotIn("late_reinvite", log)
        self.assertEqual(metric(self.settled_metrics(), "sbc_calls_active"), 0)

    def test_q_drain(self):
        # A call in progress; `sbcctl drain` refuses new calls 503 with
        # Retry-After and reports the call left; the held call ends on its
        # own; `drain --cancel` takes calls again.
        a = self.uas("carA", CAR_A, "uas_answer.xml", calls=2)
        held = labkit.SippServer(self.lab, "phones", "uac_call.xml", PBX, calls=1,
                                 local_port=5070, target=SBC_ACCESS, timeout_s=30,
                                 extra=["-s", "1011", "-d", "3000"])
        self.addCleanup(held.__exit__)
        deadline = time.monotonic() + 10
        while json.loads(self.sbcd.ctl("status", "--json").stdout)["active_calls"] != 1:
            self.assertLess(time.monotonic(), deadline, "the held call never started")
            time.sleep(0.1)
        self.assertEqual(metric(self.sbcd.metrics(), "sbc_draining"), 0)
        r = self.sbcd.ctl("drain", "--retry-after", "30")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("draining: new calls get 503; 1 call(s) left", r.stdout)
        st = json.loads(self.sbcd.ctl("status", "--json").stdout)
        self.assertEqual((st["draining"], st["active_calls"]), (True, 1))
        self.assertIn("draining", self.sbcd.ctl("status").stdout)
        self.assertEqual(metric(self.sbcd.metrics(), "sbc_draining"), 1)
        self.assert_ok(self.call("1012", "uac_refused_retry_after.xml"), "new call while draining")
        self.assert_ok(held.wait(), "held call (ends normally while draining)")
        deadline = time.monotonic() + 5
        while True:
            d = json.loads(self.sbcd.ctl("drain", "--status", "--json").stdout)
            if d["active_calls"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(d, {"draining": True, "active_calls": 0, "refused_while_draining": 1})
        self.assertIn("(drained)", self.sbcd.ctl("drain", "--status").stdout)
        r = self.sbcd.ctl("drain", "--cancel")
        self.assertIn("not draining", r.stdout)
        self.assertEqual(metric(self.sbcd.metrics(), "sbc_draining"), 0)
        self.assert_ok(self.call("1013"), "call after drain --cancel")
        self.assert_ok(a.wait(), "carA")
        outcomes = [(r["called_in"], r["final_status"]) for r in self.records_lines(3)]
        self.assertEqual(sorted(outcomes), [("1011", 200), ("1012", 503), ("1013", 200)])
        self.assertFalse(self.sbcd.ctl("drain", "--bogus").returncode == 0)

    def test_q2_an_overloaded_control_loop_sheds_new_calls_until_it_recovers(self):
        # The control loop stalled (`sbcctl debug stall`, standing in for work
        # it cannot keep up with): the lag probe sees it, new calls get 503
        # with Retry-After, and once the loop ran on time for --overload-hold
        # (5 s by default) calls are taken again.
        def wait_overloaded(value, timeout):
            deadline = time.monotonic() + timeout
            while metric(self.sbcd.metrics(), "sbc_overloaded") != value:
                self.assertLess(time.monotonic(), deadline, f"sbc_overloaded never became {value}")
                time.sleep(0.1)
        self.assertEqual(metric(self.sbcd.metrics(), "sbc_overloaded"), 0)
        r = self.sbcd.ctl("debug", "stall", "900")
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_overloaded(1, 3)
        self.assert_ok(self.call("1014", "uac_refused_retry_after.xml"), "new call while overloaded")
        wait_overloaded(0, 20)
        a = self.uas("carA", CAR_A, "uas_answer.xml")
        self.assert_ok(self.call("1015"), "call after the overload cleared")
        self.assert_ok(a.wait(), "carA")
        outcomes = [(r["called_in"], r["final_status"]) for r in self.records_lines(2)]
        self.assertEqual(outcomes, [("1014", 503), ("1015", 200)])
        self.assertEqual(metric(self.sbcd.metrics(), "sbc_overload_episodes_total"), 1)
        self.assertRegex(self.sbcd.log_text(), r"overloaded .*lag_ms=\d+")
        self.assertFalse(self.sbcd.ctl("debug", "stall", "9999").returncode == 0)

    def test_r_late_offer(self):
        # INVITE without SDP: relayed without; the callee's offer in its 200
        # reaches the caller anchored on access, the caller's answer in its
        # ACK reaches the callee anchored on core (the scenarios check both).
        a = self.uas("carA", CAR_A, "uas_answer_late.xml")
        self.assert_ok(self.call("1014", "uac_call_late.xml"), "caller (late offer)")
        self.assert_ok(a.wait(), "carA (offer in its 200, answer in the ACK)")
        rec = self.records_lines(1)
        self.assertEqual([(r["final_status"], r["ended_by"]) for r in rec], [(200, "caller")])
        self.assertNotIn("late_answer_refused", self.sbcd.log_text())

    def test_n_carrier_calls_a_registered_phone(self):
        # Not registered yet: the route's only candidate is offline (480).
        self.assert_ok(self.call("4001", "uac_rejected.xml", status=480, host="carA",
                                 target=SBC_CORE, local_ip=CAR_A), "call before registering")
        inf = os.path.join(self.tmp, "alice.csv")
        with open(inf, "w") as f:
            f.write(f"SEQUENTIAL\nalice;[authentication username=alice password={ALICE_PASSWORD}];300\n")
        r = labkit.sipp(self.lab, "phones", "register.xml", SBC_ACCESS, PHONE, local_port=5060,
                        extra=["-inf", inf])
        self.assert_ok(r, "alice registering")
        p = self.uas("phones", PHONE, "uas_answer.xml")
        self.assert_ok(self.call("4002", host="carA", target=SBC_CORE, local_ip=CAR_A), "carA")
        self.assert_ok(p.wait(), "alice's phone")
        rec = self.records_lines(2)
        self.assertEqual([(x["source_peer"], x["destination_peer"], x["final_status"]) for x in rec],
                         [("carA", "", 480), ("carA", "alice", 200)])

    def test_n2_phone_behind_nat_gets_in_dialog_requests_through_its_router(self):
        # alice registers from behind the lab's NAT router (natph); the
        # carrier calls her and holds the call: the INVITE, the ACK, the
        # carrier's re-INVITE and the BYE all reach her through the router's
        # mapping (her Contact, 198.19.1.10, is not reachable from the SBC).
        inf = os.path.join(self.tmp, "alice.csv")
        with open(inf, "w") as f:
            f.write(f"SEQUENTIAL\nalice;[authentication username=alice password={ALICE_PASSWORD}];300\n")
        r = labkit.sipp(self.lab, "natph", "register.xml", SBC_ACCESS, "198.19.1.10",
                        local_port=5078, extra=["-inf", inf])
        self.assert_ok(r, "alice registering from behind NAT")
        # The hold scenarios check the SBC's address each side sees; here the
        # caller is on core and the callee on access: the addresses swap.
        def swapped(name):
            with open(os.path.join(labkit.SIPP_DIR, name)) as f:
                text = f.read()
            for a, b in (("198\\.18\\.1\\.", "@ACCESS@"), ("198\\.18\\.2\\.", "198\\.18\\.1\\."),
                         ("@ACCESS@", "198\\.18\\.2\\.")):
                text = text.replace(a, b)
            path = os.path.join(self.tmp, "swapped-" + name)
            with open(path, "w") as f:
                f.write(text)
            return path
        p = labkit.SippServer(self.lab, "natph", swapped("uas_answer_hold.xml"), "198.19.1.10",
                              calls=1, local_port=5078, timeout_s=30)
        self.addCleanup(p.__exit__)
        wait_udp_listening(self.lab, "natph", "198.19.1.10", 5078)
        self.assert_ok(self.call("4003", swapped("uac_call_hold.xml"), host="carA", target=SBC_CORE,
                                 local_ip=CAR_A), "carA (holds, resumes, is held)")
        self.assert_ok(p.wait(), "alice behind NAT")
        rec = self.records_lines(1)
        self.assertEqual([(x["destination_peer"], x["final_status"]) for x in rec],
                         [("alice", 200)])

    def test_o_password_guessing_by_invite_is_banned(self):
        for _ in range(2):
            r = self.call("3003", "uac_call_auth.xml", local_ip=PHONE,
                          extra=["-au", "alice", "-ap", "guess"], timeout_s=5)
            self.assertNotEqual(r.returncode, 0)
        # Banned now: even the right password gets 403 before any challenge.
        self.assert_ok(self.call("3004", "uac_rejected.xml", status=403, local_ip=PHONE,
                                 extra=["-au", "alice", "-ap", ALICE_PASSWORD]), "banned phone")
        self.assertIn("invite_refused", self.sbcd.log_text())
        self.assertEqual(self.records_lines(0, timeout=0.5), [])

    def test_j_malformed_invite_refused_and_no_call(self):
        script = r'''
import socket
n = [0]
def invite(extra, body="", ctype="application/sdp"):
    n[0] += 1
    return ("INVITE sip:1006@198.18.1.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 198.18.1.11:5090;branch=z9hG4bK-bad" + str(n[0]) + "\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:6001@198.18.1.11>;tag=1\r\nTo: <sip:1006@198.18.1.1>\r\n"
            "Call-ID: bad-" + str(n[0]) + "@x\r\n" + extra + "Content-Type: " + ctype + "\r\n"
            "Content-Length: " + str(len(body)) + "\r\n\r\n" + body)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.1.11", 5090)); s.settimeout(5)
for m in (invite(""), invite("CSeq: 1 INVITE\r\n", "hello", "text/plain"),
          invite("CSeq: 1 INVITE\r\n")):
    call_id = [l for l in m.split("\r\n") if l.startswith("Call-ID:")][0]
    s.sendto(m.encode(), ("198.18.1.1", 5060))
    while True:
        # Final responses to INVITE are retransmitted until an ACK (never
        # sent here): match each answer to its request by Call-ID.
        lines = s.recv(4000).decode().split("\r\n")
        if call_id in lines and not lines[0].startswith("SIP/2.0 1"):
            print(lines[0]); break
'''
        r = self.lab.run("phones", ["python3", "-c", script], timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("SIP/2.0 400"), lines)  # no CSeq
        self.assertTrue(lines[1].startswith("SIP/2.0 415"), lines)  # not SDP
        # No body: a late offer, placed like any call; nobody listens at carA.
        self.assertRegex(lines[2], r"^SIP/2.0 (503|408) ")
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_total", '{outcome="answered",peer="pbx"}'), 0)
        self.assertEqual(metric(text, "sbc_channels_active", '{peer="carA"}'), 0)
        # The malformed ones never became calls: the only record is the late offer's.
        recs = self.records_lines(1)
        self.assertEqual(len(recs), 1, recs)
        self.assertIn(recs[0]["final_status"], (503, 408))


class B2buaCallsOnTheDpdkDataplane(labkit.SharedLab, unittest.TestCase):
    """The same sbcd with its DPDK dataplane (af_xdp ports in the lab): the
    call's SDP ports become pinholes while it lasts and go when it ends."""
    lab_mode = "dataplane"

    def start_with_callee(self, scenario, extra_args=()):
        """sbcd with its DPDK dataplane, and carA's sipp playing `scenario`."""
        sbcd = start_on_dataplane(self, self.lab, extra_args)
        uas = labkit.SippServer(self.lab, "carA", scenario, CAR_A, timeout_s=30)
        self.addCleanup(uas.__exit__)
        wait_udp_listening(self.lab, "carA", CAR_A, 5060)
        return sbcd, uas

    def test_call_opens_and_closes_media_pinholes(self):
        sbcd, uas = self.start_with_callee("uas_answer.xml")
        uac = labkit.SippServer(self.lab, "phones", "uac_call.xml", PBX, target=SBC_ACCESS,
                                timeout_s=30, extra=["-s", "1010", "-d", "3000"])
        self.addCleanup(uac.__exit__)
        deadline = time.monotonic() + 15
        while True:
            r = sbcd.ctl("calls", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            st = json.loads(r.stdout)
            if [c["state"] for c in st["calls"]] == ["established"]:
                break
            self.assertLess(time.monotonic(), deadline, f"{st}\n{sbcd.log_text()[-3000:]}")
            time.sleep(0.1)
        self.assertTrue(st["media_relayed"])
        # The pinhole count is mirrored into metrics by the dataplane's housekeeping.
        deadline = time.monotonic() + 2.5
        while metric(sbcd.metrics(), "sbc_dataplane_pinholes") == 0:
            self.assertLess(time.monotonic(), deadline, "no pinhole during the call")
            time.sleep(0.1)
        self.assertEqual(uac.wait().returncode, 0, uac.output)
        self.assertEqual(uas.wait().returncode, 0, uas.output)
        deadline = time.monotonic() + 10
        while metric(sbcd.metrics(), "sbc_dataplane_pinholes") != 0:
            self.assertLess(time.monotonic(), deadline, "pinholes left after the call")
            time.sleep(0.1)

    def test_hold_and_resume_update_the_real_dataplane(self):
        # The hold scenarios through the DPDK dataplane: every re-INVITE
        # (same ports, a new remote port from the carrier) is accepted by
        # update_media (the offer's answer would come back 488 otherwise), the
        # call ends normally and its pinholes go.
        sbcd, uas = self.start_with_callee("uas_answer_hold.xml")
        r = labkit.sipp(self.lab, "phones", "uac_call_hold.xml", SBC_ACCESS, PBX, local_port=5060,
                        extra=["-s", "1010", "-d", "200"], timeout_s=30)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + sbcd.log_text()[-3000:])
        self.assertEqual(uas.wait().returncode, 0, uas.output)
        log = sbcd.log_text()
        self.assertNotIn("offer_answer_refused", log)
        self.assertNotIn("offer_refused", log)
        self.assertNotIn("late_reinvite", log)
        deadline = time.monotonic() + 10
        while metric(sbcd.metrics(), "sbc_dataplane_pinholes") != 0:
            self.assertLess(time.monotonic(), deadline, "pinholes left after the call")
            time.sleep(0.1)

    def test_a_moved_remote_relatches(self):
        # carA talks from port 7000, then moves its media to 7002 with a
        # re-INVITE: RTP from 7002 is relayed both ways like RTP from 7000
        # was (the pinhole latched 7000 first; the update clears the latch).
        sbcd, uas = self.start_with_callee("uas_answer_move.xml",
                                           extra_args=["--log-level", "debug"])
        uac = labkit.SippServer(self.lab, "phones", "uac_call_moved.xml", PBX, target=SBC_ACCESS,
                                timeout_s=30, extra=["-s", "1010", "-d", "4000"])
        self.addCleanup(uac.__exit__)

        def port_changes():
            return re.findall(r"media_ports call=1 a/b=(\d+)/(\d+)", sbcd.log_text())

        deadline = time.monotonic() + 15
        while len(port_changes()) < 2:  # opened, then the 200's answer
            self.assertLess(time.monotonic(), deadline, sbcd.log_text()[-3000:])
            time.sleep(0.1)
        core_port = port_changes()[0][1]

        def talk(port):
            return rtp_through(self, self.lab, port, core_port)

        # The hosts' MACs reach the dataplane through the kernel's neighbour
        # table (published by housekeeping every 200 ms), as in the dataplane test.
        self.assertTrue(self.lab.ping("carA", "198.18.2.1"))
        self.assertTrue(self.lab.ping("phones", "198.18.1.1"))
        time.sleep(0.5)
        before = talk(7000)
        self.assertEqual((before["sent"], before["replies"]), (10, 10), before)
        while len(port_changes()) < 3:  # the re-INVITE's answer
            self.assertLess(time.monotonic(), deadline + 10, sbcd.log_text()[-3000:])
            time.sleep(0.1)
        after = talk(7002)
        self.assertEqual((after["sent"], after["replies"]), (10, 10),
                         f"{after}: RTP from the new port was not relayed")
        self.assertEqual(port_changes()[-1], port_changes()[0], "the SBC's ports stay")
        self.assertEqual(uac.wait().returncode, 0, uac.output)
        self.assertEqual(uas.wait().returncode, 0, uas.output)


class SessionTimers(CallLab, unittest.TestCase):
    """RFC 4028 through the real sbcd with a 6 s session interval: the caller
    asks for timers and refreshes (or not); carA makes the SBC refresh its
    leg (with UPDATEs, or re-INVITEs when it refuses UPDATE). The scenarios check every header; here, who ended the
    call and that nothing is left."""
    timers = "  session_expires: 6s\n  min_se: 2s\n"

    def test_a_call_whose_caller_never_refreshes_is_torn_down_on_both_legs(self):
        # carA takes no UPDATE here: the SBC refreshes it with a re-INVITE.
        a = self.uas("carA", CAR_A, "uas_answer_session_timer_no_update.xml")
        self.assert_ok(self.call("1021", "uac_call_session_expires.xml"),
                       "caller (BYE from the SBC)")
        self.assert_ok(a.wait(), "carA (UPDATE refused, the SBC's re-INVITE refresh, the BYE)")
        records = self.records_lines(1)
        self.assertEqual([(r["ended_by"], r["final_status"], r["session_timer_leg"])
                          for r in records], [("session_timer", 200, "a")])
        text = self.settled_metrics()
        self.assertEqual(metric(text, "sbc_calls_active"), 0)
        # Counted on the caller's peer only: carA kept refreshing.
        self.assertEqual(metric(text, "sbc_call_session_timer_expiries_total",
                                '{direction="inbound",peer="pbx"}'), 1)
        self.assertEqual(metric(text, "sbc_call_session_timer_expiries_total",
                                '{direction="outbound",peer="carA"}'), 0)
        self.assertIn("call_ended_session_timer", self.sbcd.log_text())

    def test_a_call_that_is_refreshed_stays_up(self):
        a = self.uas("carA", CAR_A, "uas_answer_session_timer.xml")
        self.assert_ok(self.call("1022", "uac_call_session_refresh.xml"),
                       "caller (three refreshes, then its own BYE)")
        self.assert_ok(a.wait(), "carA (the SBC's refresh, then the BYE)")
        self.assertEqual([r["ended_by"] for r in self.records_lines(1)], ["caller"])
        self.assertNotIn("call_ended_session_timer", self.sbcd.log_text())

    def test_an_interval_below_min_se_gets_422(self):
        scenario = self.refused_with(422, "Supported: timer\nSession-Expires: 1\n", "Min-SE:",
                                     "^ *2$")
        self.assert_ok(self.call("1023", scenario), "caller (422 with Min-SE: 2)")
        self.assertEqual([r["final_status"] for r in self.records_lines(1)], [422])


if __name__ == "__main__":
    labkit.run_root_tests()
