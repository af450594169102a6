"""The real sbcd with its DPDK dataplane in a lab (tools/lab --mode dataplane):
ICMP and SIP to the SBC cross the dataplane into the exception TAPs and are
answered exactly once; RTP from a phone reaches a carrier with the SBC's
addresses, is latched back, and stops after the session closes. Media
sessions are opened with the `sbcctl media open` test hook until the B2BUA
opens them from SDP. Runs once with af_xdp ports and once with af_packet."""

import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402

ACTOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "udp_actor.py")


metric = labkit.metric



def dataplane_policy(lab, driver):
    return labkit.lab_policy(lab, driver=driver)


class DataplaneInLab(labkit.SharedLab):
    driver = None
    lab_mode = "dataplane"

    def setUp(self):
        self.sbcd = labkit.Sbcd(self.lab, dataplane_policy(self.lab, self.driver), dataplane=True,
                                extra_args=["--media-idle-timeout", "2"])
        self.addCleanup(self.sbcd.cleanup)
        self.sbcd.start(timeout=60)

    def actor(self, host, *args, timeout=30):
        r = self.lab.run(host, [sys.executable, ACTOR] + [str(a) for a in args], timeout=timeout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout.strip().splitlines()[-1])

    def counters(self):
        return self.sbcd.metrics()

    def test_ping_and_options_cross_the_dataplane_and_are_answered_once(self):
        r = self.sbcd.ctl("dataplane")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"driver net_{self.driver}", r.stdout)
        before = self.counters()
        ping = self.lab.run("phones", ["ping", "-c", "5", "-i", "0.2", "-W", "2", "198.18.1.1"])
        self.assertEqual(ping.returncode, 0, ping.stdout + ping.stderr)
        self.assertIn("5 received", ping.stdout)
        self.assertNotIn("DUP!", ping.stdout, "the kernel answered the raw frames as well")

        opts = self.actor("phones", "options", "198.18.1.12", "198.18.1.1", 5060, 4, 1.5)
        self.assertEqual(opts["responses"], 4, opts)  # exactly one answer per request
        self.assertTrue(all(s.startswith("SIP/2.0 200") for s in opts["status"]), opts)
        r = labkit.sipp(self.lab, "carA", "options.xml", "198.18.2.1:5060", "198.18.2.10", calls=2)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        after = self.counters()
        leg = '{leg="access"}'
        punted = (metric(after, "sbc_dataplane_punted_packets_total", leg) -
                  metric(before, "sbc_dataplane_punted_packets_total", leg))
        # 5 echo requests + 4 OPTIONS, and any ARP the phone sent.
        self.assertGreaterEqual(punted, 9)
        self.assertLessEqual(punted, 9 + 4)
        exc = (metric(after, "sbc_dataplane_exception_packets_total", leg) -
               metric(before, "sbc_dataplane_exception_packets_total", leg))
        self.assertGreaterEqual(exc, 9)  # the kernel's replies went out through the port
        self.assertGreaterEqual(
            metric(after, "sbc_dataplane_punted_packets_total", '{leg="core"}'), 2)
        self.assertEqual(metric(after, "sbc_dataplane_link_up", leg), 1)
        self.assertIsNotNone(metric(after, "sbc_dataplane_dropped_packets_total",
                                    '{leg="access",reason="no_flow"}'))
        r = subprocess.run(["promtool", "check", "metrics"], input=after, capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_rtp_is_relayed_latched_back_and_stops_after_close(self):
        # The carrier's and the phone's MACs reach the kernel's neighbour table
        # through the exception path, as signalling would.
        self.assertTrue(self.lab.ping("carA", "198.18.2.1"))
        self.assertTrue(self.lab.ping("phones", "198.18.1.1"))
        r = self.sbcd.ctl("media", "open", "access", "198.18.1.11:4000", "core",
                          "198.18.2.10:6000")
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"session (\d+)\nstream 0 a=198\.18\.1\.1:(\d+) b=198\.18\.2\.1:(\d+)",
                      r.stdout)
        self.assertIsNotNone(m, r.stdout)
        sid, a_port, b_port = m.group(1), int(m.group(2)), int(m.group(3))
        time.sleep(0.5)  # housekeeping publishes the kernel's neighbours (every 200 ms)

        carrier = self.lab.popen("carA", [sys.executable, ACTOR, "echo", "198.18.2.10", "6000",
                                          "10", "8"], stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(0.3)
            phone = self.actor("phones", "send", "198.18.1.11", 4000, "198.18.1.1", a_port, 10, 3)
            out, _ = carrier.communicate(timeout=15)
        finally:
            if carrier.poll() is None:
                carrier.kill()
                carrier.wait()
        got = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(got["received"], 10, got)
        self.assertEqual(got["sources"], [f"198.18.2.1:{b_port}"])  # the SBC, not the phone
        self.assertEqual(phone["replies"], 10, phone)  # latched back to the phone
        self.assertEqual(phone["sources"], [f"198.18.1.1:{a_port}"])

        r = self.sbcd.ctl("media", "stats", sid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"a_rtp\s+packets=10 bytes=\d+ rtp_seq_gaps=0 latched=yes")
        self.assertRegex(r.stdout, r"b_rtp\s+packets=10 .* latched=yes")
        self.assertIn("media_event type=latched", self.sbcd.log_text())

        # No media for the idle timeout (2 s here): MediaIdle is reported.
        deadline = time.monotonic() + 10
        while "media_event type=media_idle session=" + sid not in self.sbcd.log_text():
            self.assertLess(time.monotonic(), deadline, "no MediaIdle event")
            time.sleep(0.2)

        before = self.counters()
        r = self.sbcd.ctl("media", "close", sid)
        self.assertEqual(r.returncode, 0, r.stderr)
        carrier = self.lab.popen("carA", [sys.executable, ACTOR, "echo", "198.18.2.10", "6000",
                                          "5", "2"], stdout=subprocess.PIPE, text=True)
        try:
            self.actor("phones", "send", "198.18.1.11", 4000, "198.18.1.1", a_port, 5, 0.5)
            out, _ = carrier.communicate(timeout=15)
        finally:
            if carrier.poll() is None:
                carrier.kill()
                carrier.wait()
        self.assertEqual(json.loads(out.strip().splitlines()[-1])["received"], 0)
        after = self.counters()
        lbl = '{leg="access",reason="no_flow"}'
        self.assertEqual(metric(after, "sbc_dataplane_dropped_packets_total", lbl) -
                         metric(before, "sbc_dataplane_dropped_packets_total", lbl), 5)

    def test_phone_behind_nat_is_latched_and_reached_through_the_nat(self):
        self.assertTrue(self.lab.ping("carA", "198.18.2.1"))
        # The SDP would say 198.19.1.10:4000 (the phone's private address):
        # latch `any` learns the NAT's public address and port instead.
        r = self.sbcd.ctl("media", "open", "access", "198.19.1.10:4000", "core",
                          "198.18.2.10:6000", "--latch", "any")
        self.assertEqual(r.returncode, 0, r.stderr)
        a_port = int(re.search(r"a=198\.18\.1\.1:(\d+)", r.stdout).group(1))
        time.sleep(0.5)
        carrier = self.lab.popen("carA", [sys.executable, ACTOR, "echo", "198.18.2.10", "6000",
                                          "6", "8"], stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(0.3)
            phone = self.actor("natph", "send", "198.19.1.10", 4000, "198.18.1.1", a_port, 6, 3)
            out, _ = carrier.communicate(timeout=15)
        finally:
            if carrier.poll() is None:
                carrier.kill()
                carrier.wait()
        self.assertEqual(json.loads(out.strip().splitlines()[-1])["received"], 6)
        self.assertEqual(phone["replies"], 6, phone)
        self.assertEqual(phone["sources"], [f"198.18.1.1:{a_port}"])
        self.assertRegex(self.sbcd.log_text(),
                         r"media_event type=latched .* side=a .* remote=198\.18\.1\.254:\d+")

    def test_answers_to_the_kernels_own_connections_come_back(self):
        # A DNS lookup or a TCP connection the SBC host opens itself gets its
        # answer on an ephemeral port: punted to the kernel, not no_flow.
        self.assertNotIn("dataplane_config", self.sbcd.log_text(),
                         "the lab keeps the kernel's ports clear of the media ranges")
        self.assertTrue(self.lab.ping("carA", "198.18.2.1"))
        carrier = self.lab.popen("carA", [sys.executable, ACTOR, "echo", "198.18.2.10", "9053",
                                          "3", "8"], stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(0.3)
            sbc = self.actor("sbc", "send", "198.18.2.1", 0, "198.18.2.10", 9053, 3, 2)
            out, _ = carrier.communicate(timeout=15)
        finally:
            if carrier.poll() is None:
                carrier.kill()
                carrier.wait()
        self.assertEqual(json.loads(out.strip().splitlines()[-1])["received"], 3)
        self.assertEqual(sbc["replies"], 3, sbc)

    def test_a_media_remote_the_kernel_never_spoke_to_is_resolved(self):
        # The carrier's media gateway (198.18.2.30) is not its signalling
        # address and never sent the SBC anything: the SBC must still learn
        # its MAC before the first packet toward it (the kernel is prompted to
        # ARP when the session opens).
        self.lab.run("carA", ["ip", "addr", "add", "198.18.2.30/24", "dev", "eth0"], check=True)
        self.addCleanup(self.lab.run, "carA", ["ip", "addr", "del", "198.18.2.30/24", "dev", "eth0"])
        r = self.sbcd.ctl("media", "open", "access", "198.18.1.11:4000", "core",
                          "198.18.2.30:6000", "--latch", "strict")
        self.assertEqual(r.returncode, 0, r.stderr)
        a_port = int(re.search(r"a=198\.18\.1\.1:(\d+)", r.stdout).group(1))
        deadline = time.monotonic() + 10
        while "198.18.2.30 " not in self.lab.run("sbc", ["cat", "/proc/net/arp"]).stdout:
            self.assertLess(time.monotonic(), deadline, "the kernel never resolved 198.18.2.30")
            time.sleep(0.1)
        time.sleep(0.5)  # two housekeeping runs publish the kernel's entry
        gateway = self.lab.popen("carA", [sys.executable, ACTOR, "echo", "198.18.2.30", "6000",
                                          "5", "8"], stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(0.3)
            self.actor("phones", "send", "198.18.1.11", 4000, "198.18.1.1", a_port, 5, 1)
            out, _ = gateway.communicate(timeout=15)
        finally:
            if gateway.poll() is None:
                gateway.kill()
                gateway.wait()
        self.assertEqual(json.loads(out.strip().splitlines()[-1])["received"], 5)

    def test_wrong_source_is_dropped_and_counted(self):
        self.assertTrue(self.lab.ping("carA", "198.18.2.1"))
        r = self.sbcd.ctl("media", "open", "access", "198.18.1.11:4000", "core",
                          "198.18.2.10:6000", "--latch", "strict")
        self.assertEqual(r.returncode, 0, r.stderr)
        a_port = int(re.search(r"a=198\.18\.1\.1:(\d+)", r.stdout).group(1))
        before = self.counters()
        # Another phone (198.18.1.13) aims at the same SBC port.
        self.actor("phones", "send", "198.18.1.13", 4000, "198.18.1.1", a_port, 4, 0.3)
        after = self.counters()
        lbl = '{leg="access",reason="wrong_source"}'
        self.assertEqual(metric(after, "sbc_dataplane_dropped_packets_total", lbl) -
                         metric(before, "sbc_dataplane_dropped_packets_total", lbl), 4)


    def test_sigterm_stops_cleanly_and_removes_the_taps(self):
        links = self.lab.run("sbc", ["ip", "-o", "link", "show"]).stdout
        self.assertIn("sbc-access", links)
        self.assertEqual(self.sbcd.stop(), 0, self.sbcd.log_text())
        links = self.lab.run("sbc", ["ip", "-o", "link", "show"]).stdout
        self.assertNotIn("sbc-access", links)
        self.assertNotIn("sbc-core", links)
        self.assertFalse(os.path.exists("/var/run/dpdk/rte/config"), "EAL files left behind")


class AfXdp(DataplaneInLab, unittest.TestCase):
    driver = "af_xdp"


class AfPacket(DataplaneInLab, unittest.TestCase):
    driver = "af_packet"


if __name__ == "__main__":
    labkit.run_root_tests()
