"""The real sbcd with its DPDK dataplane in a lab (tools/lab --mode dataplane):
ICMP and SIP to the SBC cross the dataplane into the exception TAPs and are
answered exactly once; RTP from a phone reaches a carrier with the SBC's
addresses, is latched back, and stops after the session closes. Media
sessions are opened with the `sbcctl media open` test hook until the B2BUA
opens them from SDP. NIC offload is offered and refused by these PMDs (no
rte_flow, no rte_mtr): the states and log lines say so per leg and rule kind,
and media still flows in software. Runs once with af_xdp ports and once with
af_packet."""

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
                                extra_args=["--media-idle-timeout", "2", "--neighbour-timeout", "3"])
        self.addCleanup(self.sbcd.cleanup)
        self.sbcd.start(timeout=60)

    def actor(self, host, *args, timeout=30):
        r = self.lab.run(host, [sys.executable, ACTOR] + [str(a) for a in args], timeout=timeout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout.strip().splitlines()[-1])

    def counters(self):
        return self.sbcd.metrics()

    def echo_and_send(self, echo_host, echo_at, sender_host, send_args, count, echo_wait=8):
        """An echo of `count` datagrams on echo_host at (ip, port), then the
        sender's run on sender_host; returns (what the echo got, the sender's result)."""
        echo = self.lab.popen(echo_host, [sys.executable, ACTOR, "echo", echo_at[0], str(echo_at[1]),
                                          str(count), str(echo_wait)], stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(0.3)
            sent = self.actor(sender_host, "send", *send_args)
            out, _ = echo.communicate(timeout=15)
        finally:
            if echo.poll() is None:
                echo.kill()
                echo.wait()
        return json.loads(out.strip().splitlines()[-1]), sent

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

    def open_phone_to_carrier(self):
        """A session phone 198.18.1.11:4000 <-> carrier 198.18.2.10:6000, after
        both pinged the SBC; returns (session id, access port, core port)."""
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
        time.sleep(0.5)  # housekeeping publishes the kernel's neighbours (every 200 ms)
        return m.group(1), int(m.group(2)), int(m.group(3))

    def test_rtp_is_relayed_latched_back_and_stops_after_close(self):
        sid, a_port, b_port = self.open_phone_to_carrier()

        got, phone = self.echo_and_send("carA", ("198.18.2.10", 6000), "phones",
                                        ("198.18.1.11", 4000, "198.18.1.1", a_port, 10, 3), 10)
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
        got, _ = self.echo_and_send("carA", ("198.18.2.10", 6000), "phones",
                                    ("198.18.1.11", 4000, "198.18.1.1", a_port, 5, 0.5), 5,
                                    echo_wait=2)
        self.assertEqual(got["received"], 0)
        after = self.counters()
        lbl = '{leg="access",reason="no_flow"}'
        self.assertEqual(metric(after, "sbc_dataplane_dropped_packets_total", lbl) -
                         metric(before, "sbc_dataplane_dropped_packets_total", lbl), 5)

    def offload(self):
        r = self.sbcd.ctl("stats", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {(o["leg"], o["rule_kind"]): o for o in json.loads(r.stdout)["offload"]}

    def test_nic_offload_falls_back_per_kind_with_the_pmds_reason_and_media_flows(self):
        # The policy's filters were applied at start: the punt meter was
        # offered to both ports and refused (no rte_mtr in these PMDs).
        pmd = f"net_{self.driver}"
        states = self.offload()
        self.assertEqual(sorted(states), [(leg, kind) for leg in ("access", "core")
                                          for kind in ("deny", "meter", "pinhole")])
        for leg in ("access", "core"):
            meter = states[(leg, "meter")]
            self.assertEqual((meter["path"], meter["tried"]), ("software", True), meter)
            self.assertEqual(meter["reason"], f"not supported by {pmd}: rte_mtr_capabilities_get: "
                             "Function not implemented (Function not implemented)")
            self.assertFalse(states[(leg, "pinhole")]["tried"])  # no media yet

        sid, a_port, _ = self.open_phone_to_carrier()
        # Latching makes both remotes exact: each pinhole is offered to its
        # port, refused, and the software relay carries every packet.
        got, phone = self.echo_and_send("carA", ("198.18.2.10", 6000), "phones",
                                        ("198.18.1.11", 4000, "198.18.1.1", a_port, 10, 3), 10)
        self.assertEqual((got["received"], phone["replies"]), (10, 10),
                         str((got, phone)) + self.sbcd.ctl("stats").stdout)
        states = self.offload()
        for leg in ("access", "core"):
            ph = states[(leg, "pinhole")]
            self.assertEqual((ph["path"], ph["tried"], ph["rules"]), ("software", True, 0), ph)
            self.assertEqual(ph["reason"], f"not supported by {pmd}: rte_flow_create: "
                             "Function not implemented (Function not implemented)")
        # Refused once, not tried again: the next packets flow as before.
        got, phone = self.echo_and_send("carA", ("198.18.2.10", 6000), "phones",
                                        ("198.18.1.11", 4000, "198.18.1.1", a_port, 10, 3), 10)
        self.assertEqual((got["received"], phone["replies"]), (10, 10),
                         str((got, phone)) + self.sbcd.ctl("stats").stdout)

        deadline = time.monotonic() + 5  # logged at the next housekeeping pass
        while True:
            log = self.sbcd.log_text()
            found = [re.search(rf"offload_fallback.*leg={leg}.*rule_kind={kind}.*not supported "
                               rf"by {pmd}", log) for leg in ("access", "core")
                     for kind in ("pinhole", "meter")]
            if all(found) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertTrue(all(found), log)
        text = self.sbcd.metrics()
        self.assertEqual(metric(text, "sbc_dataplane_offload_active",
                                '{leg="access",rule_kind="pinhole"}'), 0)
        self.assertEqual(metric(text, "sbc_dataplane_offload_refused",
                                '{leg="core",rule_kind="meter",reason="not supported by '
                                f'{pmd}: rte_mtr_capabilities_get: Function not implemented '
                                '(Function not implemented)"}'), 1)
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.sbcd.ctl("media", "close", sid).returncode, 0)

    def test_phone_behind_nat_is_latched_and_reached_through_the_nat(self):
        self.assertTrue(self.lab.ping("carA", "198.18.2.1"))
        # The SDP would say 198.19.1.10:4000 (the phone's private address):
        # latch `any` learns the NAT's public address and port instead.
        r = self.sbcd.ctl("media", "open", "access", "198.19.1.10:4000", "core",
                          "198.18.2.10:6000", "--latch", "any")
        self.assertEqual(r.returncode, 0, r.stderr)
        a_port = int(re.search(r"a=198\.18\.1\.1:(\d+)", r.stdout).group(1))
        time.sleep(0.5)
        got, phone = self.echo_and_send("carA", ("198.18.2.10", 6000), "natph",
                                        ("198.19.1.10", 4000, "198.18.1.1", a_port, 6, 3), 6)
        self.assertEqual(got["received"], 6)
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
        got, sbc = self.echo_and_send("carA", ("198.18.2.10", 9053), "sbc",
                                      ("198.18.2.1", 0, "198.18.2.10", 9053, 3, 2), 3)
        self.assertEqual(got["received"], 3)
        self.assertEqual(sbc["replies"], 3, sbc)

    def open_toward_media_gateway(self, address):
        """A media session from a phone to a carrier media gateway at `address`
        (added to carA), open once the SBC's kernel resolved it; the phone-side port."""
        self.lab.run("carA", ["ip", "addr", "add", address + "/24", "dev", "eth0"], check=True)
        self.addCleanup(self.lab.run, "carA", ["ip", "addr", "del", address + "/24", "dev", "eth0"])
        r = self.sbcd.ctl("media", "open", "access", "198.18.1.11:4000", "core",
                          address + ":6000", "--latch", "strict")
        self.assertEqual(r.returncode, 0, r.stderr)
        deadline = time.monotonic() + 10
        while address + " " not in self.lab.run("sbc", ["cat", "/proc/net/arp"]).stdout:
            self.assertLess(time.monotonic(), deadline, f"the kernel never resolved {address}")
            time.sleep(0.1)
        return int(re.search(r"a=198\.18\.1\.1:(\d+)", r.stdout).group(1))

    def test_a_media_remote_the_kernel_never_spoke_to_is_resolved(self):
        # The carrier's media gateway (198.18.2.30) is not its signalling
        # address and never sent the SBC anything: the SBC must still learn
        # its MAC before the first packet toward it (the kernel is prompted to
        # ARP when the session opens).
        a_port = self.open_toward_media_gateway("198.18.2.30")
        time.sleep(0.5)  # two housekeeping runs publish the kernel's entry
        got, _ = self.echo_and_send("carA", ("198.18.2.30", 6000), "phones",
                                    ("198.18.1.11", 4000, "198.18.1.1", a_port, 5, 1), 5)
        self.assertEqual(got["received"], 5)

    def wait_metric(self, name, at_least, timeout=15.0):
        deadline = time.monotonic() + timeout
        while metric(self.counters(), name) < at_least:
            self.assertLess(time.monotonic(), deadline, f"{name} never reached {at_least}")
            time.sleep(0.2)

    def test_a_next_hop_that_changes_its_mac_is_followed(self):
        # A carrier's gateway replaced (or a VRRP failover): same address, new
        # MAC. The kernel learns it from the host's next ARP; the dataplane must
        # relay to the new MAC, or media goes to a host that is not there.
        self.assertTrue(self.lab.ping("phones", "198.18.1.1"))
        self.assertTrue(self.lab.ping("carA", "198.18.2.1"))
        r = self.sbcd.ctl("media", "open", "access", "198.18.1.11:4000", "core",
                          "198.18.2.10:6000")
        self.assertEqual(r.returncode, 0, r.stderr)
        a_port = int(re.search(r"a=198\.18\.1\.1:(\d+)", r.stdout).group(1))
        time.sleep(0.5)
        got, _ = self.echo_and_send("carA", ("198.18.2.10", 6000), "phones",
                                    ("198.18.1.11", 4000, "198.18.1.1", a_port, 4, 1), 4)
        self.assertEqual(got["received"], 4)

        old_mac = self.lab.run("carA", ["cat", "/sys/class/net/eth0/address"]).stdout.strip()
        def set_mac(mac):
            self.lab.run("carA", ["ip", "link", "set", "dev", "eth0", "address", mac], check=True)
            # Its next ARP request tells the SBC's kernel the new MAC.
            self.lab.run("carA", ["ip", "neigh", "flush", "dev", "eth0"])
            self.lab.ping("carA", "198.18.2.1")
        self.addCleanup(set_mac, old_mac)
        before = metric(self.counters(), "sbc_dataplane_neighbour_changes_total")
        set_mac("02:5b:c0:00:02:0a")
        self.wait_metric("sbc_dataplane_neighbour_changes_total", before + 1)
        got, _ = self.echo_and_send("carA", ("198.18.2.10", 6000), "phones",
                                    ("198.18.1.11", 4000, "198.18.1.1", a_port, 4, 1), 4)
        self.assertEqual(got["received"], 4, "media still went to the old MAC")

    def test_a_next_hop_the_kernel_lost_is_re_resolved_then_removed(self):
        # A media gateway that went away: once the kernel drops its entry and
        # cannot resolve it again, the dataplane stops relaying to the old MAC
        # and counts no_neighbour instead (--neighbour-timeout 3 here).
        a_port = self.open_toward_media_gateway("198.18.2.31")
        time.sleep(0.5)

        # The gateway goes away and the kernel forgets it (its garbage
        # collection, done here by hand).
        self.lab.run("carA", ["ip", "addr", "del", "198.18.2.31/24", "dev", "eth0"], check=True)
        self.lab.run("sbc", ["ip", "neigh", "del", "198.18.2.31", "dev", "sbc-core"], check=True)
        expired = metric(self.counters(), "sbc_dataplane_neighbours_expired_total")
        self.wait_metric("sbc_dataplane_neighbours_expired_total", expired + 1)

        before = self.counters()
        self.actor("phones", "send", "198.18.1.11", 4000, "198.18.1.1", a_port, 3, 0.3)
        after = self.counters()
        no_nb = lambda text: sum(float(v) for v in re.findall(
            r'^sbc_dataplane_dropped_packets_total\{[^}]*reason="no_neighbour"[^}]*\} (\S+)$', text, re.M))
        self.assertEqual(no_nb(after) - no_nb(before), 3)

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
