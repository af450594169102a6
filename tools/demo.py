"""The lab demo (run through tools/demo, which installs and builds first).

What it shows today: sbcd running in the lab between the phone network and
the carrier network, answering SIP on both legs, with sbcctl and Prometheus
metrics. Calls, registrations, media, failover and the flood demo arrive with
the B2BUA, registrar, dataplane and protection work (see the README's status).
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

    lab = labkit.Lab("kernel").__enter__()
    sbcd = None
    try:
        print(f"lab {lab.name}: phones 198.18.1.11-14, NAT phone 198.19.1.10 behind 198.18.1.254, "
              f"carriers 198.18.2.10 and 198.18.2.20; SBC legs access 198.18.1.1, core 198.18.2.1")
        sbcd = labkit.Sbcd(lab, labkit.lab_policy(lab)).start()
        print(f"sbcd started in namespace {lab.ns('sbc')} (control-plane-only mode: the DPDK "
              "dataplane is not in this version yet)\n")

        r = labkit.sipp(lab, "phones", "options.xml", "198.18.1.1:5060", "198.18.1.11", calls=5)
        check("a phone's 5 SIP OPTIONS to the access leg answered 200", r.returncode == 0, r.stdout[-500:])
        r = labkit.sipp(lab, "natph", "options.xml", "198.18.1.1:5060", "198.19.1.10", calls=3)
        check("the NATed phone's 3 OPTIONS answered through its router", r.returncode == 0, r.stdout[-500:])
        r = labkit.sipp(lab, "carA", "options.xml", "198.18.2.1:5060", "198.18.2.10", calls=5)
        check("carrier A's 5 OPTIONS to the core leg answered 200", r.returncode == 0, r.stdout[-500:])

        st = sbcd.ctl("status")
        check("sbcctl status", st.returncode == 0, st.stderr)
        print("\n$ sbcctl status\n" + st.stdout)

        text = sbcd.metrics()
        print("$ curl http://127.0.0.1:9464/metrics   (inside the sbc namespace)")
        for line in text.splitlines():
            if re.match(r"sbc_(sip_requests_total|build_info)", line):
                print("  " + line)
        counted = sum(float(m) for m in re.findall(r'^sbc_sip_requests_total\{.*method="OPTIONS"\} (\S+)$',
                                                    text, re.M))
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
