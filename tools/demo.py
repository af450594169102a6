"""The lab demo (run through tools/demo, which installs and builds first).

What it shows today: sbcd running in the lab between the phone network and
the carrier network, answering SIP on both legs, phones (one behind NAT)
registering with digest authentication, a call from a PBX through the B2BUA
to a carrier, a failover from a carrier answering 503 to the other, sbcctl and
Prometheus metrics.
All of it crosses the DPDK dataplane (af_xdp on veth pairs, no NIC and no
hugepages needed): SIP is punted through the exception path to sbcd, and each
call's media pinholes are opened on it. Not shown yet: RTP flowing through
a call, and the flood demo (protection work; see the README's status).
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labkit  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--keep", action="store_true", help="leave the lab and sbcd running")
    args = ap.parse_args()
    labkit.install_signal_teardown()
    t0 = time.monotonic()
    ok = True

    def check(what, cond, detail=""):
        nonlocal ok
        ok = ok and bool(cond)
        print(f"  [{'ok' if cond else 'FAILED'}] {what}" + (f": {detail}" if detail and not cond else ""))

    lab = labkit.Lab("dataplane").__enter__()
    sbcd = None
    try:
        print(f"lab {lab.name}: phones 198.18.1.11-14, NAT phone 198.19.1.10 behind 198.18.1.254, "
              f"carriers 198.18.2.10 and 198.18.2.20; SBC legs access 198.18.1.1, core 198.18.2.1")
        phones = {"2001": "Demo#Phone-2001x", "2002": "Demo#Phone-2002x", "2003": "Demo#Phone-2003x"}
        policy = labkit.lab_policy(lab, tcp=False) + "peers:\n" + "".join(
            f'  - {{name: agent-{u}, kind: phone, leg: access, auth: {{username: "{u}", password: "{p}"}}}}\n'
            for u, p in phones.items()) + """  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.14, auth: {mode: ip}, probe: {interval: 0s}}
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10, auth: {mode: ip}, probe: {interval: 0s}}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20, auth: {mode: ip}, probe: {interval: 0s}}
routes:
  - {prefix: "0", from: pbx, to: [carrier-a, carrier-b]}
"""
        sbcd = labkit.Sbcd(lab, policy, dataplane=True).start()
        print(f"sbcd started in namespace {lab.ns('sbc')} on the DPDK dataplane (af_xdp ports on "
              "the lab's veths, exception TAPs holding the leg addresses)\n")

        r = labkit.sipp(lab, "phones", "options.xml", "198.18.1.1:5060", "198.18.1.11", calls=5)
        check("a phone's 5 SIP OPTIONS to the access leg answered 200", r.returncode == 0, r.stdout[-500:])
        r = labkit.sipp(lab, "natph", "options.xml", "198.18.1.1:5060", "198.19.1.10", calls=3)
        check("the NATed phone's 3 OPTIONS answered through its router", r.returncode == 0, r.stdout[-500:])
        r = labkit.sipp(lab, "carA", "options.xml", "198.18.2.1:5060", "198.18.2.10", calls=5)
        check("carrier A's 5 OPTIONS to the core leg answered 200", r.returncode == 0, r.stdout[-500:])

        def register(host, ip, users):
            inf = os.path.join(sbcd.dir, f"{host}.csv")
            with open(inf, "w") as f:
                f.write("SEQUENTIAL\n" + "".join(
                    f"{u};[authentication username={u} password={phones[u]}];300\n" for u in users))
            return labkit.sipp(lab, host, "register.xml", "198.18.1.1:5060", ip, calls=len(users),
                               extra=["-inf", inf])

        r = register("phones", "198.18.1.11", ["2001", "2002"])
        check("two agent phones registered with digest authentication", r.returncode == 0, r.stdout[-500:])
        r = register("natph", "198.19.1.10", ["2003"])
        check("the phone behind NAT registered", r.returncode == 0, r.stdout[-500:])
        regs = sbcd.ctl("registrations")
        check("sbcctl registrations", regs.returncode == 0 and regs.stdout.count(" registered ") == 3,
              regs.stdout + regs.stderr)
        print("\n$ sbcctl registrations\n" + regs.stdout)

        # Calls: the PBX (trusted by its address) dials out through the SBC.
        tmp = sbcd.dir
        with labkit.SippServer(lab, "carA", "uas_answer.xml", "198.18.2.10") as uas:
            labkit.wait_udp_listening(lab, "carA", "198.18.2.10", 5060)
            r = labkit.sipp(lab, "phones", "uac_call.xml", "198.18.1.1:5060", "198.18.1.14",
                            local_port=5060, extra=["-s", "0301234", "-d", "500"])
            check("a call from the PBX answered by carrier A, then hung up",
                  r.returncode == 0 and uas.wait().returncode == 0, r.stdout[-800:])
        with labkit.SippServer(lab, "carA", labkit.scenario_with_status("uas_reject.xml", 503, tmp),
                               "198.18.2.10") as failing, \
                labkit.SippServer(lab, "carB", "uas_answer.xml", "198.18.2.20") as backup:
            labkit.wait_udp_listening(lab, "carA", "198.18.2.10", 5060)
            labkit.wait_udp_listening(lab, "carB", "198.18.2.20", 5060)
            r = labkit.sipp(lab, "phones", "uac_call.xml", "198.18.1.1:5060", "198.18.1.14",
                            local_port=5060, extra=["-s", "0309876", "-d", "500"])
            check("carrier A refuses (503): the call fails over to carrier B",
                  r.returncode == 0 and failing.wait().returncode == 0 and backup.wait().returncode == 0,
                  r.stdout[-800:])

        dp = sbcd.ctl("dataplane")
        check("sbcctl dataplane", dp.returncode == 0, dp.stderr)
        print("\n$ sbcctl dataplane\n" + dp.stdout)

        st = sbcd.ctl("status")
        check("sbcctl status", st.returncode == 0, st.stderr)
        print("\n$ sbcctl status\n" + st.stdout)

        text = sbcd.metrics()
        print("$ curl http://127.0.0.1:9464/metrics   (inside the sbc namespace)")
        for line in text.splitlines():
            if line.startswith("sbc_calls_total") and line.endswith(" 0"):
                continue  # the pre-created zero series
            if re.match(r"sbc_(sip_requests_total|build_info|registrations|register_requests_total|calls_total)", line) \
                    or re.match(r"sbc_dataplane_punted_packets_total", line):
                print("  " + line)
        counted = sum(float(m) for m in re.findall(r'^sbc_sip_requests_total\{.*method="OPTIONS"\} (\S+)$',
                                                    text, re.M))
        check("metrics show 3 registrations", labkit.metric(text, "sbc_registrations") == 3)
        check("metrics count the 13 OPTIONS", counted == 13, f"counted {counted}")
    except Exception as e:  # a failed step is reported, then the lab is removed
        print(f"  [FAILED] {e}")
        ok = False
    finally:
        if args.keep and ok:
            print(f"\nKept running. Try:\n  build/tools/sbcctl --socket {sbcd.socket} status\n"
                  f"  ip netns exec {lab.ns('sbc')} curl -s 127.0.0.1:9464/metrics\n"
                  f"Remove with: kill {sbcd.proc.pid}; tools/lab down {lab.name}")
        else:
            if sbcd:
                sbcd.cleanup()
            lab.down()
    print(f"\ndemo {'passed' if ok else 'FAILED'} in {time.monotonic() - t0:.1f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
