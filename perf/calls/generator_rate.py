#!/usr/bin/env python3
"""What the call-rate benchmark's generators can offer: one sipp caller
calling one sipp callee directly (the same scenarios as call_rate.py, RTP on
one call in 100, no system in between), both on --gen-core, in the lab's
carrier network (198.18.2.10 -> 198.18.2.11). Prints the calls completed
and sipp's CPU per call: the ceiling call_rate.py's generators put on any
system measured on this machine.

  sudo perf/calls/generator_rate.py --rate 1000
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402
from call_rate import PCAP, stop_process  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CALLER, CALLEE = "198.18.2.10", "198.18.2.11"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--hold", type=float, default=5)
    ap.add_argument("--gen-core", type=int, default=0)
    args = ap.parse_args()
    if not labkit.is_root():
        print("SKIP: needs root (lab namespaces)")
        return 77
    labkit.install_signal_teardown()
    calls = int(args.rate * args.seconds)
    timeout = int(args.seconds + args.hold + 60)
    gen = ["taskset", "-c", str(args.gen_core)]
    with labkit.Lab("kernel") as lab, tempfile.TemporaryDirectory(prefix="genrate-") as d:
        lab.run("carA", ["ip", "addr", "add", f"{CALLEE}/24", "dev", "eth0"], check=True)
        uac_xml = os.path.join(d, "uac_call_rate.xml")
        with open(os.path.join(HERE, "uac_call_rate.xml")) as f:
            text = f.read().replace("__PCAP__", PCAP)
        with open(uac_xml, "w") as f:
            f.write(text)
        g0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        procs = []
        try:
            procs.append(lab.popen("carA", gen + labkit._sipp_args(
                os.path.join(HERE, "uas_answer_rate.xml"), None, CALLEE, calls, 10, 5060,
                timeout, ["-mi", CALLEE, "-mp", "7000", "-rtp_echo"]),
                cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            labkit.wait_udp_listening(lab, "carA", CALLEE, 5060)
            procs.append(lab.popen("carA", gen + labkit._sipp_args(
                uac_xml, f"{CALLEE}:5060", CALLER, calls, args.rate, 5060, timeout,
                ["-s", "1000", "-d", str(int(args.hold * 1000)), "-mi", CALLER, "-mp", "7100",
                 "-l", str(max(100, int(args.rate * (args.hold + 5) * 2))),
                 "-trace_stat", "-stf", "stat.csv", "-fd", "1"]),
                cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            for p in reversed(procs):
                try:
                    p.wait(timeout + 15)
                except subprocess.TimeoutExpired:
                    stop_process(p)
        finally:
            for p in procs:
                stop_process(p)
        g1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.monotonic() - t0
        with open(os.path.join(d, "stat.csv")) as f:
            rows = [line.split(";") for line in f]
        ok = int(rows[-1][rows[0].index("SuccessfulCall(C)")])
    cpu = (g1.ru_utime + g1.ru_stime) - (g0.ru_utime + g0.ru_stime)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"{args.rate}/s for {args.seconds:g} s, calls held {args.hold:g} s: {ok}/{calls} "
          f"completed in {wall:.0f} s; sipp {cpu:.1f} s CPU ({1000 * cpu / calls:.3f} ms per "
          f"call) on core {args.gen_core}; load average {load}")
    return 0 if ok == calls else 1


if __name__ == "__main__":
    sys.exit(main())
