"""sbcctl against a running sbcd: every command in its table and --json form
(the JSON parsed), the errors an operator meets (sbcd not running, no
permission on the socket, a bad argument), the admin group, and the metrics
the operations issue added (per-peer call metrics after a real failover call
with sipp, channel caps, registration state, event loop lag, policy reloads),
validated with promtool and against docs/metrics.md. One class runs sbcd in
control-plane-only mode, the other on its DPDK dataplane (`stats`,
`dataplane --json`)."""

import grp
import json
import os
import re
import shutil
import socket
import struct
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
CAR_B = "198.18.2.20"
SBCCTL = os.path.join(labkit.BUILD, "tools", "sbcctl")
METRICS_DOC = os.path.join(labkit.REPO, "docs", "metrics.md")
metric = labkit.metric


def policy(lab):
    return labkit.lab_policy(lab, tcp=False) + """
peers:
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.11, auth: {mode: ip},
     probe: {interval: 0s}}
  - {name: carA, kind: trunk, leg: core, address: 198.18.2.10, auth: {mode: ip},
     probe: {interval: 0s}, channels: {max: 30}}
  - {name: carB, kind: trunk, leg: core, address: 198.18.2.20, auth: {mode: ip},
     probe: {interval: 0s}, cps: {rate: 5, alert_at: 4}}
  - {name: alice, kind: phone, leg: access, auth: {username: alice, password: "Zq8#vL2m-Tr5pW"}}
routes:
  - {prefix: "2", from: pbx, to: [carA, carB]}
"""


def documented_metrics():
    with open(METRICS_DOC) as f:
        section = f.read().split("## What exists today", 1)[1]
    return set(re.findall(r"^\| `(sbc_[a-z0-9_]+)`", section, re.M))


def exported(text):
    """The metric families with samples in an exposition text (a histogram's
    _bucket/_sum/_count series count as its own name)."""
    families = set(re.findall(r"^# TYPE (sbc_[a-z0-9_]+) ", text, re.M))
    names = set()
    for n in re.findall(r"^(sbc_[a-z0-9_]+)", text, re.M):
        base = re.sub(r"_(bucket|sum|count)$", "", n)
        names.add(base if base in families else n)
    return names


def read_pcap(test, path):
    """A pcap file's records, parsed and checked here (no dissector needed):
    LINKTYPE_RAW, IPv4 + UDP with valid checksums; source, destination,
    payload and time per record."""
    def ones(data):
        if len(data) % 2:
            data += b"\0"
        s = sum(struct.unpack(f"!{len(data) // 2}H", data))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return s
    with open(path, "rb") as f:
        data = f.read()
    magic, major, minor, _, _, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    test.assertEqual((magic, major, minor, linktype), (0xA1B2C3D4, 2, 4, 101))
    out, pos = [], 24
    while pos < len(data):
        sec, usec, caplen, origlen = struct.unpack("<IIII", data[pos:pos + 16])
        test.assertEqual(caplen, origlen)
        pkt = data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
        test.assertEqual(pkt[0], 0x45)
        total, proto = struct.unpack("!H", pkt[2:4])[0], pkt[9]
        test.assertEqual((total, proto), (len(pkt), 17))
        test.assertEqual(ones(pkt[:20]), 0xFFFF, "IPv4 header checksum")
        sport, dport, ulen = struct.unpack("!HHH", pkt[20:26])
        test.assertEqual(ulen, len(pkt) - 20)
        pseudo = pkt[12:20] + struct.pack("!BBH", 0, 17, ulen)
        test.assertEqual(ones(pseudo + pkt[20:]), 0xFFFF, "UDP checksum")
        src, dst = socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20])
        out.append({"src": (src, sport), "dst": (dst, dport), "payload": pkt[28:],
                    "time": sec + usec / 1e6})
    test.assertEqual(pos, len(data))
    return out


def promtool_check_metrics(test, text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class ControlPlane(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = labkit.Lab("kernel").__enter__()
        cls.tmp = tempfile.mkdtemp(prefix="sbcctl-test-")
        cls.sbcd = labkit.Sbcd(cls.lab, policy(cls.lab), extra_args=["--failover-timeout", "3"])
        cls.started_wall = time.time()
        try:
            cls.sbcd.start()
        except BaseException:
            cls.sbcd.cleanup()
            cls.lab.down()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sbcd.cleanup()
        cls.lab.down()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def ctl_json(self, *args):
        r = self.sbcd.ctl(*args, "--json")
        self.assertEqual(r.returncode, 0, f"sbcctl {' '.join(args)} --json: {r.stderr}")
        return json.loads(r.stdout)

    def test_every_command_has_a_json_form(self):
        st = self.ctl_json("status")
        self.assertEqual(st["dataplane"], "off")
        self.assertEqual([l["name"] for l in st["legs"]], ["access", "core"])
        peers = {p["name"]: p for p in self.ctl_json("peers")}
        self.assertEqual(set(peers), {"pbx", "carA", "carB", "alice"})
        self.assertEqual(peers["carA"]["channels_max"], 30)
        self.assertEqual(peers["carA"]["channels_in_use"], 0)
        regs = self.ctl_json("registrations")
        self.assertEqual([(r["peer"], r["state"]) for r in regs], [("alice", "never")])
        calls = self.ctl_json("calls")
        self.assertEqual(calls["calls"], [])
        stats = self.ctl_json("stats")
        self.assertEqual(stats, {"dataplane": "off", "legs": []})
        commands = self.ctl_json("help")
        for c in ("status", "peers", "registrations", "calls", "stats", "reload"):
            self.assertIn(c, commands)
        # Every command that prints data says so in its help line.
        for c in ("status", "peers", "registrations", "calls", "stats"):
            self.assertIn("--json", commands[c], c)

    def test_tables(self):
        peers = self.sbcd.ctl("peers").stdout
        self.assertRegex(peers, r"(?m)^PEER\s+KIND\s+LEG\s+ADDRESS\s+DNS\s+HEALTH\s+RTT\s+CHANNELS\s+"
                                r"CPS\s+REGISTRATION\s+LAST FAILURE$")
        # CPS: calls per second now / the cap ("-": none); the last failure
        # is "-" or what the calls of the other tests left.
        self.assertRegex(peers, r"(?m)^carA\s+trunk\s+core\s+198\.18\.2\.10:5060\s+-\s+-\s+-\s+0/30\s+"
                                r"\d+\.\d/-\s+-\s+\S")
        self.assertRegex(peers, r"(?m)^carB\s+trunk\s+core\s+198\.18\.2\.20:5060\s+-\s+-\s+-\s+0/-\s+"
                                r"\d+\.\d/5\s+-\s+\S")
        for args, header in ((["status"], "LEG"), (["peers"], "PEER"),
                             (["registrations"], "PEER"), (["calls"], "ID"),
                             (["stats"], "control-plane-only"), (["help"], "stats\t")):
            r = self.sbcd.ctl(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(header, r.stdout, args)

    def test_bad_arguments_exit_1_with_the_reason(self):
        for args in (["stats", "--yaml"], ["help", "x"], ["calls", "--bogus"]):
            r = self.sbcd.ctl(*args)
            self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
            self.assertTrue(r.stderr.strip(), args)

    def test_not_running(self):
        missing = os.path.join(self.tmp, "nobody-listens.sock")
        r = subprocess.run([SBCCTL, "--socket", missing, "status"], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(r.returncode, 3)
        self.assertIn(f"sbcd is not running (nothing listens on {missing})", r.stderr)
        self.assertEqual(r.stdout, "")
        # A socket file left behind with nobody on it reads the same.
        import socket
        stale = os.path.join(self.tmp, "stale.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(stale)
        s.close()
        r = subprocess.run([SBCCTL, "--socket", stale, "peers", "--json"], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(r.returncode, 3)
        self.assertIn("sbcd is not running", r.stderr)

    def test_socket_is_owner_only_without_an_admin_group(self):
        st = os.stat(self.sbcd.socket)
        self.assertEqual(st.st_mode & 0o777, 0o600)
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            SBCCTL, "--socket", self.sbcd.socket, "status"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("permission denied", r.stderr)

    def test_call_metrics_after_a_failover_call(self):
        started = time.monotonic()
        d = tempfile.mkdtemp(dir=self.tmp)
        a = labkit.SippServer(self.lab, "carA", labkit.scenario_with_status("uas_reject.xml", 503, d),
                              CAR_A, calls=1, timeout_s=30)
        self.addCleanup(a.__exit__)
        b = labkit.SippServer(self.lab, "carB", "uas_answer.xml", CAR_B, calls=1, timeout_s=30)
        self.addCleanup(b.__exit__)
        labkit.wait_udp_listening(self.lab, "carA", CAR_A, 5060)
        labkit.wait_udp_listening(self.lab, "carB", CAR_B, 5060)
        r = labkit.sipp(self.lab, "phones", "uac_call.xml", SBC_ACCESS, PBX, calls=1,
                        local_port=5060, extra=["-s", "2001", "-d", "200"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.sbcd.log_text()[-3000:])
        self.assertEqual(a.wait().returncode, 0)
        self.assertEqual(b.wait().returncode, 0)
        deadline = time.monotonic() + 5
        while True:
            text = self.sbcd.metrics()
            if metric(text, "sbc_call_attempts_total", '{direction="inbound",peer="pbx"}') == 1:
                break
            self.assertLess(time.monotonic(), deadline, "the call's metrics never appeared")
            time.sleep(0.1)
        self.assertEqual(metric(text, "sbc_call_answers_total", '{direction="inbound",peer="pbx"}'), 1)
        self.assertEqual(metric(text, "sbc_call_attempts_total", '{direction="outbound",peer="carA"}'), 1)
        self.assertEqual(metric(text, "sbc_call_answers_total", '{direction="outbound",peer="carA"}'), 0)
        self.assertEqual(metric(text, "sbc_call_failures_total",
                                '{code_class="5xx",direction="outbound",peer="carA"}'), 1)
        self.assertEqual(metric(text, "sbc_call_answers_total", '{direction="outbound",peer="carB"}'), 1)
        self.assertEqual(metric(text, "sbc_call_answer_delay_seconds_count", '{peer="carB"}'), 1)
        self.assertEqual(metric(text, "sbc_channels_max", '{peer="carA"}'), 30)
        self.assertIsNone(metric(text, "sbc_channels_max", '{peer="carB"}'))
        self.assertEqual(metric(text, "sbc_peer_registered", '{peer="alice"}'), 0)
        self.assertGreater(metric(text, "sbc_event_loop_lag_seconds_count"), 0)
        # One call started from the PBX, one INVITE to each carrier (as the
        # CPS caps count them), carB's cap of 5/s published, none for carA.
        for peer in ("pbx", "carA", "carB"):
            self.assertEqual(metric(text, "sbc_call_starts_total", f'{{peer="{peer}"}}'), 1, peer)
        self.assertEqual(metric(text, "sbc_cps_max", '{peer="carB"}'), 5)
        self.assertIsNone(metric(text, "sbc_cps_max", '{peer="carA"}'))
        promtool_check_metrics(self, text)
        # sbcctl peers: carA's 503 is its last failure; carB answered and
        # the PBX's call was answered: no failure for them.
        peers = {p["name"]: p for p in self.ctl_json("peers")}
        elapsed = time.monotonic() - started
        fa = peers["carA"]["last_failure"]
        self.assertEqual((fa["status"], fa["reason"], fa["direction"]),
                         (503, "Service Unavailable", "outbound"), fa)
        self.assertLessEqual(fa["seconds_ago"], elapsed + 1)
        self.assertAlmostEqual(fa["at_unix_seconds"], time.time() - fa["seconds_ago"], delta=2)
        self.assertIsNone(peers["carB"]["last_failure"])
        self.assertIsNone(peers["pbx"]["last_failure"])
        self.assertEqual(peers["carB"]["cps"]["max"], 5)
        self.assertIsNone(peers["carA"]["cps"]["max"])
        window = peers["pbx"]["cps"]["window_seconds"]
        # The window holds the call while it started less than a window ago
        # (measured here, not assumed).
        if elapsed < window - 1:
            for peer in ("pbx", "carA", "carB"):
                self.assertEqual(peers[peer]["cps"]["calls_in_window"], 1, peers[peer])
            self.assertAlmostEqual(peers["pbx"]["cps"]["now"], 1 / window)
        self.assertRegex(self.sbcd.ctl("peers").stdout,
                         r"(?m)^carA\s.*\s503 Service Unavailable, outbound, \d+s ago$")

    def test_metrics_match_the_documentation(self):
        text = self.sbcd.metrics()
        promtool_check_metrics(self, text)
        documented = documented_metrics()
        have = exported(text)
        # Not in this mode: the dataplane's counters, the probe results of
        # peers (probing is off in this policy), outbound registration (no
        # trunk registers here), DNS resolution (no trunk is named by DNS
        # here: trunk_dns_test checks those), and what appears with its first event only
        # (a malformed request, a scanner or banned source).
        expected = {m for m in documented if not m.startswith("sbc_dataplane_")
                    and not m.startswith("sbc_pinholes_")
                    and not m.startswith("sbc_peer_probe_")
                    and not m.startswith("sbc_outbound_registration_")
                    and not m.startswith("sbc_peer_dns_")
                    and m not in ("sbc_peer_up", "sbc_sip_requests_rejected_total",
                                  "sbc_sip_requests_dropped_total")}
        self.assertEqual(expected - have, set(), "documented but not exported")
        self.assertEqual({m for m in have if m.startswith("sbc_")} - documented, set(),
                         "exported but not in docs/metrics.md")

    def test_trace_of_one_peer(self):
        r = self.sbcd.ctl("trace", "start", "peer", "carB")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("tracing messages to and from 198.18.2.20", r.stdout)
        b = labkit.SippServer(self.lab, "carB", "uas_answer.xml", CAR_B, calls=1, timeout_s=30)
        self.addCleanup(b.__exit__)
        labkit.wait_udp_listening(self.lab, "carB", CAR_B, 5060)
        # carA does not run: its INVITE fails (ICMP) and the call fails over
        # to carB; only carB's side may appear in the trace.
        r = labkit.sipp(self.lab, "phones", "uac_call.xml", SBC_ACCESS, PBX, calls=1,
                        local_port=5060, extra=["-s", "2002", "-d", "200"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.sbcd.log_text()[-3000:])
        self.assertEqual(b.wait().returncode, 0)
        shown = self.ctl_json("trace", "show")
        self.assertTrue(shown["active"])
        r = self.sbcd.ctl("trace", "stop", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        trace = json.loads(r.stdout)
        self.assertFalse(trace["active"])
        msgs = trace["messages"]
        self.assertEqual({m["address"] for m in msgs}, {CAR_B}, msgs)
        first_lines = [(m["direction"], m["text"].split("\n", 1)[0]) for m in msgs]
        self.assertIn(("sent", "INVITE sip:2002@198.18.2.20:5060 SIP/2.0"), first_lines)
        self.assertIn(("received", "SIP/2.0 200 OK"), first_lines)
        self.assertTrue(any(d == "sent" and l.startswith("BYE ") for d, l in first_lines),
                        first_lines)
        # One dialog toward carB: one Call-ID in every message.
        self.assertEqual(len({m["call_id"] for m in msgs}), 1)
        # Stopped: nothing more is captured, and the text form says so.
        text = self.sbcd.ctl("trace", "show").stdout
        self.assertIn(f"{len(msgs)} message(s); stopped", text)
        self.assertIn(f"sent to udp:{CAR_B}:5060 ---\nINVITE ", text)
        # The same messages as a pcap file, read back here: one IPv4/UDP
        # datagram each between carB and sbcd's core leg, valid checksums,
        # Sofia's timestamps within this test's run.
        pcap_path = os.path.join(self.tmp, "carB.pcap")
        r = self.sbcd.ctl("trace", "show", "--pcap", pcap_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"wrote {len(msgs)} message(s) to {pcap_path}\n")
        self.assertEqual(os.stat(pcap_path).st_mode & 0o777, 0o600)
        records = read_pcap(self, pcap_path)
        self.assertEqual(len(records), len(msgs))
        for rec, m in zip(records, msgs):
            ends = ((CAR_B, m["port"]), ("198.18.2.1", 5060))
            if m["direction"] == "sent":
                ends = ends[::-1]
            self.assertEqual((rec["src"], rec["dst"]), ends, m["text"][:60])
            self.assertEqual(rec["payload"], m["text"].replace("\n", "\r\n").encode())
            self.assertGreaterEqual(rec["time"], self.started_wall - 1)
            self.assertLessEqual(rec["time"], time.time() + 1)
        self.assertEqual(sorted(r["time"] for r in records), [r["time"] for r in records])
        r = subprocess.run([SBCCTL, "--socket", self.sbcd.socket, "trace", "show", "--pcap"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)

    def test_peers_show_the_channels_a_call_holds(self):
        b = labkit.SippServer(self.lab, "carB", "uas_answer.xml", CAR_B, calls=1, timeout_s=30)
        self.addCleanup(b.__exit__)
        labkit.wait_udp_listening(self.lab, "carB", CAR_B, 5060)
        held = labkit.SippServer(self.lab, "phones", "uac_call.xml", PBX, calls=1, local_port=5070,
                                 target=SBC_ACCESS, timeout_s=30,
                                 extra=["-s", "2003", "-d", "4000"])
        self.addCleanup(held.__exit__)
        deadline = time.monotonic() + 10
        while True:
            peers = {p["name"]: p for p in self.ctl_json("peers")}
            if peers["carB"]["channels_in_use"] == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual((peers["pbx"]["channels_in_use"], peers["carB"]["channels_in_use"],
                          peers["carA"]["channels_in_use"]), (1, 1, 0), peers)
        self.assertRegex(self.sbcd.ctl("peers").stdout, r"(?m)^carB\s.*\s1/-\s+\d+\.\d/5\s+-\s")
        self.assertEqual(held.wait().returncode, 0)
        self.assertEqual(b.wait().returncode, 0)

    def test_reload_is_counted(self):
        before = metric(self.sbcd.metrics(), "sbc_policy_reloads_total", '{outcome="success"}')
        r = self.sbcd.ctl("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        after = metric(self.sbcd.metrics(), "sbc_policy_reloads_total", '{outcome="success"}')
        self.assertEqual(after, before + 1)


class AdminGroup(unittest.TestCase):
    """--admin-group: the group's members use sbcctl without root, others not."""

    def test_members_of_the_admin_group_may_connect(self):
        group = grp.getgrnam("users")  # a stock group; nobody is not in it
        with labkit.Lab("kernel") as lab:
            with labkit.Sbcd(lab, policy(lab), extra_args=["--admin-group", "users"]) as sbcd:
                st = os.stat(sbcd.socket)
                self.assertEqual((st.st_mode & 0o777, st.st_gid), (0o660, group.gr_gid))
                base = ["setpriv", "--reuid=nobody", "--regid=nogroup"]
                member = subprocess.run(base + [f"--groups={group.gr_gid}", SBCCTL, "--socket",
                                                sbcd.socket, "status", "--json"],
                                        capture_output=True, text=True, timeout=10)
                self.assertEqual(member.returncode, 0, member.stderr)
                self.assertEqual(json.loads(member.stdout)["dataplane"], "off")
                other = subprocess.run(base + ["--clear-groups", SBCCTL, "--socket", sbcd.socket,
                                               "status"],
                                       capture_output=True, text=True, timeout=10)
                self.assertEqual(other.returncode, 3, other.stdout + other.stderr)
                self.assertIn("permission denied", other.stderr)
                socket_path = sbcd.socket
            # Stopped: the socket is gone and sbcctl says sbcd is not running.
            r = subprocess.run([SBCCTL, "--socket", socket_path, "status"], capture_output=True,
                               text=True, timeout=10)
            self.assertEqual(r.returncode, 3)
            self.assertIn("sbcd is not running", r.stderr)

    def test_an_unknown_group_stops_sbcd_with_a_clear_error(self):
        with labkit.Lab("kernel") as lab:
            sbcd = labkit.Sbcd(lab, policy(lab), extra_args=["--admin-group", "no-such-group-x"])
            try:
                with self.assertRaises(RuntimeError) as e:
                    sbcd.start(timeout=10)
                self.assertIn("admin group 'no-such-group-x' does not exist", str(e.exception))
            finally:
                sbcd.cleanup()


class Dataplane(unittest.TestCase):
    """`stats` and `dataplane --json` on the real DPDK dataplane."""

    def test_stats_and_dataplane_json(self):
        with labkit.Lab("dataplane") as lab:
            with labkit.Sbcd(lab, policy(lab), dataplane=True) as sbcd:
                # Traffic the dataplane must drop: UDP to a closed port on
                # the SBC's access address (no pinhole, no listener, below the
                # kernel's ephemeral ports, which the lab starts at 40000).
                lab.run("phones", ["python3", "-c",
                                   "import socket\n"
                                   "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                   "for _ in range(20): s.sendto(b'x' * 20, ('198.18.1.1', 30999))\n"])
                deadline = time.monotonic() + 10
                while True:
                    r = sbcd.ctl("stats", "--json")
                    self.assertEqual(r.returncode, 0, r.stderr)
                    stats = json.loads(r.stdout)
                    access = [l for l in stats["legs"] if l["name"] == "access"][0]
                    if access["drops"]["no_flow"] >= 20 or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                self.assertEqual(stats["dataplane"], "dpdk")
                self.assertEqual([l["name"] for l in stats["legs"]], ["access", "core"])
                self.assertGreaterEqual(access["drops"]["no_flow"], 20, access)
                self.assertGreaterEqual(access["packets_in"], 20)
                self.assertGreaterEqual(access["bytes_in"], 20 * 62, "20 frames of 62+ bytes")
                self.assertEqual(access["dropped"], sum(access["drops"].values()))
                table = sbcd.ctl("stats").stdout
                self.assertRegex(table, r"(?m)^access\s+no_flow\s+\d+\s+UDP/TCP to the SBC")
                dp = json.loads(sbcd.ctl("dataplane", "--json").stdout)
                self.assertEqual([p["leg"] for p in dp["ports"]], ["access", "core"])
                self.assertGreaterEqual(dp["workers"], 1)
                self.assertEqual(dp["legs"][0]["drops"]["no_flow"] >= 20, True)
                # A media session opened and closed by hand: four pinholes
                # (RTP and RTCP, both sides) in, and out again.
                opened = sbcd.ctl("media", "open", "access", "198.18.1.11:4000", "core",
                                  "198.18.2.10:6000")
                self.assertEqual(opened.returncode, 0, opened.stderr)
                session = re.match(r"session (\d+)", opened.stdout).group(1)
                self.assertEqual(sbcd.ctl("media", "close", session).returncode, 0)
                stats = json.loads(sbcd.ctl("stats", "--json").stdout)
                self.assertEqual((stats["pinholes_installed"], stats["pinholes_removed"]), (4, 4))
                # The policy's trust classes, with no source promoted yet
                # and no ban.
                classes = {c["class"]: c for c in stats["trust_classes"]}
                self.assertIn("registered", classes)
                self.assertEqual({c["sources"] for c in classes.values()}, {0})
                self.assertEqual(stats["deny_entries"], 0)
                self.assertIn("installed 4, removed 4", sbcd.ctl("stats").stdout)
                text = sbcd.metrics()
                self.assertGreaterEqual(metric(text, "sbc_dataplane_dropped_packets_total",
                                               '{leg="access",reason="no_flow"}'), 20)
                self.assertEqual(metric(text, "sbc_pinholes_installed_total"), 4)
                self.assertEqual(metric(text, "sbc_pinholes_removed_total"), 4)
                self.assertEqual(metric(text, "sbc_dataplane_trust_class_sources",
                                        '{class="registered"}'), 0)
                promtool_check_metrics(self, text)
                have = exported(text)
                missing = {m for m in documented_metrics()
                           if m.startswith(("sbc_dataplane_", "sbc_pinholes_"))} - have
                self.assertEqual(missing, set())


if __name__ == "__main__":
    labkit.run_root_tests()
