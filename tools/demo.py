"""The lab demo (run through tools/demo, which installs and builds first).

sbcd runs in the lab between the phone network and the carrier network, on
its DPDK dataplane (af_xdp on veth pairs, no NIC and no hugepages needed):
SIP is punted through the exception path to sbcd, media crosses the
dataplane's pinholes. The demo answers OPTIONS on both legs, registers three
phones with digest authentication (one behind NAT), places calls in both
directions with RTP both ways (counted at each end), shows a failover from a
carrier answering 503 to the other, a bounded UDP flood at the SBC's media
ports that the dataplane drops, and a bounded SIP flood from an unknown host
that the dataplane polices; then a short summary.
Every call is played by tools/rtp_actor.py; the lab's policy is the
acceptance suite's (tools/acceptance.py).
"""

import argparse
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acceptance  # noqa: E402
import labkit  # noqa: E402
import rtp_actor  # noqa: E402

ACCESS = ("198.18.1.1", 5060)
CORE = ("198.18.2.1", 5060)
FLOOD_PACKETS = 3000
SIP_FLOOD_PACKETS = 2000
SIP_FLOODER = "198.18.1.15"  # an unknown host on the phone network: untrusted


SIP_FLOOD_SCRIPT = r'''
import socket, sys, time
# A bounded SIP flood: N distinct OPTIONS from one unknown source to the
# SBC's signalling port, paced to finish in about a second.
n, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 5099))
t0 = time.monotonic()
for i in range(n):
    s.sendto((f"OPTIONS sip:{dst} SIP/2.0\r\nVia: SIP/2.0/UDP {src}:5099;branch=z9hG4bK-f{i}\r\n"
              f"From: <sip:x@{src}>;tag=f{i}\r\nTo: <sip:{dst}>\r\nCall-ID: f{i}@{src}\r\n"
              "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode(),
             (dst, 5060))
    if i % 100 == 99:
        time.sleep(max(0, t0 + (i + 1) / n - time.monotonic()))
print(n)
'''


def sip_requests(text, leg, method):
    m = re.search(r'^sbc_sip_requests_total\{leg="%s",method="%s"\} (\S+)$' % (leg, method),
                  text, re.M)
    return float(m.group(1)) if m else 0.0


def drops_by_reason(text):
    """{(leg, reason): count} of the dataplane's dropped packets."""
    out = {}
    for m in re.finditer(r'^sbc_dataplane_dropped_packets_total\{(.*)\} (\S+)$', text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        out[(labels.get("leg"), labels.get("reason"))] = float(m.group(2))
    return out


FLOOD_SCRIPT = r'''
import socket, sys, time
# A bounded burst: N datagrams to the SBC's core leg, on media ports no call
# has opened, paced to finish in about a second.
n, dst = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.monotonic()
for i in range(n):
    s.sendto(b"\x80\x08" + bytes(170), (dst, 31000 + 2 * (i % 500)))
    if i % 100 == 99:
        time.sleep(max(0, t0 + (i + 1) / n - time.monotonic()))
print(n)
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--keep", action="store_true", help="leave the lab and sbcd running")
    ap.add_argument("--packets", type=int, default=50,
                    help="RTP packets each side sends per call (20 ms apart)")
    args = ap.parse_args()
    labkit.install_signal_teardown()
    t0 = time.monotonic()
    ok = True
    calls = []  # (label, result dict)

    def check(what, cond, detail=""):
        nonlocal ok
        ok = ok and bool(cond)
        print(f"  [{'ok' if cond else 'FAILED'}] {what}" + (f": {detail}" if detail and not cond else ""),
              flush=True)

    lab = labkit.Lab("dataplane").__enter__()
    sbcd = None
    uas = {}
    summary = {}
    try:
        print(f"lab {lab.name}: phones 198.18.1.11-14, NAT phone 198.19.1.10 behind 198.18.1.254, "
              f"carriers 198.18.2.10 and 198.18.2.20; SBC legs access 198.18.1.1, core 198.18.2.1")
        sbcd = acceptance.start_lab_sbcd(lab)
        print(f"sbcd started in namespace {lab.ns('sbc')} on the DPDK dataplane (af_xdp ports on "
              "the lab's veths, exception TAPs holding the leg addresses)\n", flush=True)

        # The actors: a PBX, two agent phones, a phone behind NAT, two carriers.
        def ua(name, host, ip, user=None):
            uas[name] = rtp_actor.UserAgent(lab.ns(host), ip, 5060, user=user or name)
            return uas[name]
        ua("pbx", "phones", "198.18.1.14")
        for u, ip in (("2001", "198.18.1.11"), ("2002", "198.18.1.12")):
            ua(u, "phones", ip, u)
        ua("2003", "natph", "198.19.1.10", "2003")
        ua("carA", "carA", "198.18.2.10")
        ua("carB", "carB", "198.18.2.20")
        check("both carriers answer the SBC's OPTIONS probes (trunks up)",
              acceptance.wait_trunks_up(acceptance.Observer(sbcd=sbcd), ["carA", "carB"]))

        r = labkit.sipp(lab, "phones", "options.xml", "198.18.1.1:5060", "198.18.1.13", calls=5)
        check("a phone's 5 SIP OPTIONS to the access leg answered 200 (sipp)", r.returncode == 0,
              r.stdout[-500:])
        r = labkit.sipp(lab, "carA", "options.xml", "198.18.2.1:5060", "198.18.2.10", calls=5,
                        local_port=5070)
        check("carrier A's 5 OPTIONS to the core leg answered 200 (sipp)", r.returncode == 0,
              r.stdout[-500:])

        pw = acceptance.LAB_PASSWORDS
        for u in ("2001", "2002", "2003"):
            st = uas[u].register(ACCESS, u, pw[u])
            check(f"phone {u} registered with digest authentication"
                  + (" through its NAT router" if u == "2003" else ""), st == 200, f"status {st}")
        regs = sbcd.ctl("registrations")
        check("sbcctl registrations lists 3", regs.returncode == 0
              and regs.stdout.count(" registered ") == 3, regs.stdout + regs.stderr)
        print("\n$ sbcctl registrations\n" + regs.stdout, flush=True)
        summary["registrations"] = labkit.metric(sbcd.metrics(), "sbc_registrations")

        print(f"calls (each side sends {args.packets} RTP packets, 20 ms apart, and counts what "
              "arrives):")

        def call(label, caller, callee, target, number, hangup="caller", auth=None, first=None):
            r = rtp_actor.two_way_call(uas[caller], uas[callee], target, number,
                                       packets=args.packets, hangup=hangup, auth=auth, first=first)
            calls.append((label, r))
            m = r.get("media")
            detail = (f"{m['caller_to_callee']['received']}/{m['caller_to_callee']['sent']} "
                      f"caller->callee, {m['callee_to_caller']['received']}/"
                      f"{m['callee_to_caller']['sent']} callee->caller" if m else "")
            check(f"{label}: {r.get('status')}, RTP {detail}" if m else label, r["ok"],
                  r.get("why", ""))
            return r

        call("PBX -> carrier A (0301234)", "pbx", "carA", ACCESS, "0301234")
        call("carrier A -> PBX (5001), the carrier hangs up", "carA", "pbx", CORE, "5001")
        call("agent 2001 -> carrier (digest INVITE)", "2001", "carA", ACCESS, "0305555",
             auth=("2001", pw["2001"]))
        call("carrier A -> agent 2001", "carA", "2001", CORE, "2001", hangup="callee")
        call("carrier A -> NAT phone 2003 (media latched on its router's address)", "carA", "2003",
             CORE, "2003", first="callee")
        call("NAT phone 2003 -> carrier", "2003", "carA", ACCESS, "0307777",
             auth=("2003", pw["2003"]), hangup="callee", first="caller")

        # Failover: carrier A answers 503, carrier B takes the call.
        refuse = threading.Thread(target=lambda: (lambda inc: inc and inc.reject(
            503, "Service Unavailable"))(uas["carA"].wait_invite(10)), daemon=True)
        refuse.start()
        call("failover: carrier A says 503, carrier B answers", "pbx", "carB", ACCESS, "0309876")
        refuse.join(5)

        calls_left, pins = acceptance.Observer(sbcd=sbcd).settled()
        check("no call and no pinhole left after the calls", not calls_left and not pins,
              f"{calls_left} calls, {pins} pinholes left")

        # The flood: a bounded burst at media ports no call opened.
        before = drops_by_reason(sbcd.metrics())
        r = lab.run("carB", ["python3", "-c", FLOOD_SCRIPT, str(FLOOD_PACKETS), CORE[0]], timeout=30)
        check(f"carrier B's host floods the core leg with {FLOOD_PACKETS} UDP packets",
              r.returncode == 0, r.stderr)
        deadline = time.monotonic() + 3
        while True:
            after = drops_by_reason(sbcd.metrics())
            delta = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}
            if sum(delta.values()) >= FLOOD_PACKETS or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        summary["flood_drops"] = delta
        check(f"the dataplane dropped all {FLOOD_PACKETS} (no pinhole: nothing reached sbcd)",
              sum(delta.values()) >= FLOOD_PACKETS, f"drops {delta}")
        summary["drops_total"] = {k: v for k, v in after.items() if v > 0}

        # The SIP flood: an unknown host sends OPTIONS as fast as it can. The
        # police stage lets its trust class's rate through (untrusted: 10/s
        # with a burst of 20) and drops the rest before sbcd sees them; a
        # source that keeps flooding is banned (deny list).
        lab.run("phones", ["ip", "addr", "add", f"{SIP_FLOODER}/24", "dev", "eth0"])
        try:
            text0 = sbcd.metrics()
            before, seen0 = drops_by_reason(text0), sip_requests(text0, "access", "OPTIONS")
            r = lab.run("phones", ["python3", "-c", SIP_FLOOD_SCRIPT, str(SIP_FLOOD_PACKETS),
                                   SIP_FLOODER, ACCESS[0]], timeout=30)
            check(f"an unknown host floods the access leg with {SIP_FLOOD_PACKETS} SIP OPTIONS",
                  r.returncode == 0, r.stderr)
            guard = ("police", "police_cap", "denied")
            deadline = time.monotonic() + 3
            while True:
                text = sbcd.metrics()
                after = drops_by_reason(text)
                policed = {k: v - before.get(k, 0) for k, v in after.items()
                           if k[0] == "access" and k[1] in guard and v - before.get(k, 0) > 0}
                seen = sip_requests(text, "access", "OPTIONS") - seen0
                if sum(policed.values()) + seen >= SIP_FLOOD_PACKETS or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            summary["sip_flood"] = (policed, seen)
            check(f"the dataplane policed the flood: {sum(policed.values()):g} dropped, "
                  f"{seen:g} reached sbcd",
                  sum(policed.values()) >= SIP_FLOOD_PACKETS * 0.9 and seen <= SIP_FLOOD_PACKETS * 0.1,
                  f"drops {policed}, requests seen by sbcd {seen}")
            summary["drops_total"] = {k: v for k, v in after.items() if v > 0}
        finally:
            lab.run("phones", ["ip", "addr", "del", f"{SIP_FLOODER}/24", "dev", "eth0"])

        dp = sbcd.ctl("dataplane")
        check("sbcctl dataplane", dp.returncode == 0, dp.stderr)
        print("\n$ sbcctl dataplane\n" + dp.stdout)
        text = sbcd.metrics()
        summary["calls_total"] = {m.group(1): float(m.group(2)) for m in re.finditer(
            r'^sbc_calls_total\{(.*)\} (\S+)$', text, re.M) if float(m.group(2)) > 0}
    except Exception as e:  # a failed step is reported, then the lab is removed
        print(f"  [FAILED] {type(e).__name__}: {e}")
        ok = False
    finally:
        for u in uas.values():
            u.close()
        if calls:
            answered = sum(1 for _, r in calls if r.get("status") == 200)
            a2b = sum(r["media"]["caller_to_callee"]["received"] for _, r in calls if r.get("media"))
            b2a = sum(r["media"]["callee_to_caller"]["received"] for _, r in calls if r.get("media"))
            sent = sum(r["media"]["caller_to_callee"]["sent"] for _, r in calls if r.get("media"))
            print("\nSummary")
            print(f"  calls: {len(calls)} placed, {answered} answered with two-way media "
                  f"(one after a failover 503 -> carrier B)")
            print(f"  media: {a2b}/{sent} RTP packets caller->callee, {b2a}/{sent} callee->caller "
                  "(counted at the far end)")
            regs = summary.get("registrations")
            print(f"  registrations: {regs if regs is None else int(regs)} (one through NAT)")
            for k, v in sorted(summary.get("calls_total", {}).items()):
                print(f"  sbc_calls_total{{{k}}} {v:g}")
            for (leg, reason), v in sorted(summary.get("flood_drops", {}).items()):
                print(f"  flood: {v:g} packets dropped on leg {leg} as {reason} "
                      "(the classify stage: UDP to the leg address with no pinhole)")
            if "sip_flood" in summary:
                policed, seen = summary["sip_flood"]
                print(f"  SIP flood: {sum(policed.values()):g} of {SIP_FLOOD_PACKETS} OPTIONS "
                      "dropped in the dataplane (" + ", ".join(
                          f"{r} {v:g}" for (_, r), v in sorted(policed.items())) +
                      f"), {seen:g} reached sbcd")
            print("  dataplane drops by reason, whole run: " + (", ".join(
                f"{leg}/{reason} {v:g}" for (leg, reason), v in sorted(
                    summary.get("drops_total", {}).items())) or "none"))
            print("  metrics: curl http://127.0.0.1:9464/metrics inside the sbc namespace "
                  f"(ip netns exec {lab.ns('sbc')} curl -s 127.0.0.1:9464/metrics)")
        if args.keep and ok:
            print(f"\nKept running. Try:\n  build/tools/sbcctl --socket {sbcd.socket} status\n"
                  f"  ip netns exec {lab.ns('sbc')} curl -s 127.0.0.1:9464/metrics\n"
                  f"Remove with: kill {sbcd.proc.pid}; tools/lab down {lab.name}")
        else:
            if sbcd:
                if not ok:
                    print("--- sbcd log (tail) ---\n" + sbcd.log_text()[-3000:])
                sbcd.cleanup()
            lab.down()
    print(f"\ndemo {'passed' if ok else 'FAILED'} in {time.monotonic() - t0:.1f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
