"""The acceptance suite: the go-live cases, run against a deployment described
in a test plan (YAML or JSON) or, with --lab, against a lab it creates
(tools/lab, real sbcd on the DPDK dataplane). Writes a report in Markdown and
HTML and exits non-zero if any case failed. See docs/acceptance.md.

Each case drives real SIP and RTP from tools/rtp_actor.py user agents that
stand in for the PBX, the phones and the carriers, and reads the SBC's own
view (sbcctl calls/status, Prometheus metrics) for evidence.
"""

import argparse
import html
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labkit  # noqa: E402
import rtp_actor  # noqa: E402

CASES = ["normal_call", "release", "busy", "offline", "wrong_number", "fallback_503",
         "fallback_timeout", "channel_cap", "high_volume", "network_interruption", "nat_phone"]

# --- the lab deployment ----------------------------------------------------------

LAB_PASSWORDS = {"2001": "Acc#Phone-2001x", "2002": "Acc#Phone-2002x", "2003": "Acc#Phone-2003x"}


def lab_policy_text(lab, cap=2):
    """The example deployment the lab runs: a PBX and a load generator trusted
    by address, three digest phones (2003 behind NAT), two carriers probed with
    OPTIONS; short timers so the suite stays quick."""
    peers = "".join(
        f'  - {{name: agent-{u}, kind: phone, leg: access, media: {{latching: any}}, '
        f'auth: {{username: "{u}", password: "{p}"}}}}\n' for u, p in LAB_PASSWORDS.items())
    probe = "probe: {interval: 500ms, failures: 2, recovery: 1}"
    return labkit.lab_policy(lab, tcp=False) + "peers:\n" + peers + f"""\
  - {{name: pbx, kind: trunk, leg: access, address: 198.18.1.14, auth: {{mode: ip}}, probe: {{interval: 0s}}}}
  - {{name: loadgen, kind: trunk, leg: access, address: 198.18.1.13, auth: {{mode: ip}}, probe: {{interval: 0s}}}}
  - {{name: carA, kind: trunk, leg: core, address: 198.18.2.10, auth: {{mode: ip}}, {probe}, channels: {{max: {cap}, alert_at: {cap}}}}}
  - {{name: carB, kind: trunk, leg: core, address: 198.18.2.20, auth: {{mode: ip}}, {probe}}}
routes:
  - {{prefix: "0", from: pbx, to: [carA, carB]}}
  - {{prefix: "1", from: pbx, to: carA}}
  - {{prefix: "8", from: loadgen, to: carB}}
  - {{prefix: "0", from: agent-2001, to: [carA, carB]}}
  - {{prefix: "0", from: agent-2003, to: [carA, carB]}}
  - {{prefix: "5", from: carA, to: pbx}}
  - {{prefix: "5", from: carB, to: pbx}}
  - {{prefix: "2001", from: carA, to: agent-2001}}
  - {{prefix: "2002", from: carA, to: agent-2002}}
  - {{prefix: "2003", from: carA, to: agent-2003}}
security:
  acl:
    - {{action: allow, source: 198.18.2.0/24, leg: core, protocol: udp, ports: "5060", trust: carrier}}
    - {{action: allow, source: 198.18.1.13/32, leg: access, protocol: udp, ports: "5060", trust: carrier}}
    - {{action: allow, source: 198.18.1.14/32, leg: access, protocol: udp, ports: "5060", trust: carrier}}
  failed_auth: {{threshold: 5, window: 1m, ban: 1m}}
timers:
  timer_b: 4s
  probe_timeout: 400ms
"""


def lab_plan(lab):
    """The test plan for the lab (the same shape as a plan file)."""
    ns = lab.ns
    return {
        "name": "lab",
        "sbc": {"access": {"address": "198.18.1.1", "port": 5060},
                "core": {"address": "198.18.2.1", "port": 5060}},
        "endpoints": {
            "pbx": {"address": "198.18.1.14", "port": 5060, "netns": ns("phones")},
            "loadgen": {"address": "198.18.1.13", "port": 5060, "netns": ns("phones")},
            "carrier_a": {"address": "198.18.2.10", "port": 5060, "netns": ns("carA"), "peer": "carA"},
            "carrier_b": {"address": "198.18.2.20", "port": 5060, "netns": ns("carB"), "peer": "carB"},
            "nat_phone": {"address": "198.19.1.10", "port": 5060, "netns": ns("natph"),
                          "user": "2003", "password": LAB_PASSWORDS["2003"]},
        },
        "numbers": {"outbound": "0301234", "outbound_first_carrier_only": "1301234",
                    "inbound": "5001", "unknown": "9999", "offline_phone": "2002",
                    "nat_phone": "2003", "load": "8301234"},
        "channel_cap": {"peer": "carA", "max": 2, "over_cap": "refused"},
        "high_volume": {"rate": 5, "seconds": 10, "max_failure_ratio": 0.0},
        "interruption": {"seconds": 3},
        "rtp_packets": 50,
    }


# --- the SBC's own view ------------------------------------------------------------

class Observer:
    """Reads the SBC's state: through sbcctl on its admin socket and its
    metrics (in the lab: inside the sbc namespace). Either may be absent for
    a deployment; checks that need them then say so instead of passing."""

    def __init__(self, sbcd=None, admin_socket=None, metrics_url=None):
        self.sbcd, self.admin_socket, self.metrics_url = sbcd, admin_socket, metrics_url

    def available(self):
        return bool(self.sbcd or self.admin_socket or self.metrics_url)

    def metrics(self):
        if self.sbcd:
            return self.sbcd.metrics()
        if self.metrics_url:
            r = subprocess.run(["curl", "-sf", "--max-time", "5", self.metrics_url],
                               capture_output=True, text=True)
            return r.stdout if r.returncode == 0 else ""
        return ""

    def ctl(self, *args):
        if self.sbcd:
            return self.sbcd.ctl(*args)
        if self.admin_socket:
            built = os.path.join(labkit.BUILD, "tools", "sbcctl")
            tool = built if os.path.exists(built) else "sbcctl"
            return subprocess.run([tool, "--socket", self.admin_socket] + list(args),
                                  capture_output=True, text=True, timeout=30)
        return None

    def value(self, name, labels=""):
        if self.sbcd or self.metrics_url:
            return labkit.metric(self.metrics(), name, labels)
        return self._value_from_sbcctl(name, labels)

    def _value_from_sbcctl(self, name, labels):
        """The same figures from sbcctl when only the admin socket is given."""
        peer = re.search(r'peer="([^"]+)"', labels)
        try:
            if name == "sbc_calls_active":
                return float(json.loads(self.ctl("status", "--json").stdout)["active_calls"])
            if name == "sbc_dataplane_pinholes":
                m = re.search(r"pinholes (\d+)/", self.ctl("dataplane").stdout)
                return float(m.group(1)) if m else None
            if name == "sbc_peer_up" and peer:
                for p in json.loads(self.ctl("peers", "--json").stdout):
                    if p["name"] == peer.group(1):
                        return {"up": 1.0, "down": 0.0}.get(p["health"])
            if name == "sbc_channels_active" and peer:
                calls = json.loads(self.ctl("calls", "--json").stdout)["calls"]
                return float(sum(c["destination_peer"] == peer.group(1) for c in calls))
        except (AttributeError, KeyError, TypeError, ValueError):
            return None
        return None

    def settled(self, timeout=8.0):
        """Waits until no call is active and no pinhole is open; returns
        (calls, pinholes) as last seen (None when not observable)."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.value("sbc_calls_active")
            pins = self.value("sbc_dataplane_pinholes")
            if (not calls and not pins) or time.monotonic() > deadline:
                return calls, pins
            time.sleep(0.1)

    def wait_metric(self, name, labels, want, timeout):
        deadline = time.monotonic() + timeout
        while True:
            v = self.value(name, labels)
            if v == want or time.monotonic() > deadline:
                return v
            time.sleep(0.1)


# --- the cases ---------------------------------------------------------------------

class Context:
    def __init__(self, plan, observer, network=None):
        self.plan, self.obs, self.network = plan, observer, network
        self.ua = {}
        for name, e in plan["endpoints"].items():
            try:
                self.ua[name] = rtp_actor.UserAgent(e.get("netns"), e["address"],
                                                    e.get("port", 5060), user=e.get("user", name))
            except OSError as err:
                self.close()
                raise SystemExit(f"acceptance: endpoint {name} cannot use {e['address']}:"
                                 f"{e.get('port', 5060)} on this host: {err}")
        s = plan["sbc"]
        self.access = (s["access"]["address"], s["access"].get("port", 5060))
        self.core = (s["core"]["address"], s["core"].get("port", 5060))
        self.num = plan["numbers"]
        self.packets = plan.get("rtp_packets", 50)

    def close(self):
        for ua in self.ua.values():
            ua.close()

    def drain(self):
        for ua in self.ua.values():
            while ua.wait_invite(0) is not None:
                pass

    def call(self, caller, callee, target, number, hangup="caller", auth=None, during=None,
             first=None, far_bye_wait=5.0):
        return rtp_actor.two_way_call(self.ua[caller], self.ua[callee], target, number,
                                      packets=self.packets, hangup=hangup, auth=auth,
                                      during=during, first=first, far_bye_wait=far_bye_wait)

    def respond_in_background(self, who, action, count=1, timeout=15.0):
        """`action(incoming)` for the next `count` INVITEs at endpoint `who`."""
        done = []

        def run():
            for _ in range(count):
                inc = self.ua[who].wait_invite(timeout)
                if inc is None:
                    return
                done.append(action(inc))

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t, done

    def refuse(self, who, status, reason):
        return self.respond_in_background(who, lambda inc: inc.reject(status, reason))

    def simple_call(self, caller, target, number, timeout=15.0):
        rtp = rtp_actor.RtpEndpoint(self.ua[caller].ns, self.ua[caller].ip)
        try:
            status, dlg, setup = self.ua[caller].invite(target, number, rtp, timeout=timeout)
            if dlg:
                dlg.bye()
            return status, round(setup, 3)
        finally:
            rtp.close()


def media_summary(r):
    m = r.get("media")
    if not m:
        return {}
    return {"caller->callee": f"{m['caller_to_callee']['received']}/{m['caller_to_callee']['sent']}",
            "callee->caller": f"{m['callee_to_caller']['received']}/{m['callee_to_caller']['sent']}"}


def leak_check(ctx, ev):
    """No call and no pinhole left: true if observed clean (or not observable)."""
    if not ctx.obs.available():
        ev["leak_check"] = "not observable (no admin socket or metrics in the plan)"
        return True
    calls, pins = ctx.obs.settled()
    ev["calls_active_after"], ev["pinholes_after"] = calls, pins
    return not calls and not pins


def case_normal_call(ctx):
    ev, ok, why = {}, True, []
    out = ctx.call("pbx", "carrier_a", ctx.access, ctx.num["outbound"])
    ev["outbound pbx->carrier_a"] = {"status": out.get("status"), "setup_s": out.get("setup_s"),
                                     **media_summary(out)}
    inn = ctx.call("carrier_a", "pbx", ctx.core, ctx.num["inbound"])
    ev["inbound carrier_a->pbx"] = {"status": inn.get("status"), "setup_s": inn.get("setup_s"),
                                    **media_summary(inn)}
    for what, r in (("outbound", out), ("inbound", inn)):
        if not r["ok"]:
            ok = False
            why.append(f"{what}: {r.get('why')}")
    ev["_media"] = [out.get("media"), inn.get("media")]
    return ok, ev, "; ".join(why)


def case_release(ctx):
    ev, why = {}, []
    for side in ("caller", "callee"):
        seen = {}

        def during(_res, seen=seen):
            if ctx.obs.available():
                deadline = time.monotonic() + 3
                while time.monotonic() < deadline:
                    seen["pinholes"] = ctx.obs.value("sbc_dataplane_pinholes")
                    if seen["pinholes"]:
                        break
                    time.sleep(0.1)
        r = ctx.call("pbx", "carrier_a", ctx.access, ctx.num["outbound"], hangup=side,
                     during=during)
        e = {"status": r.get("status"), "bye_status": r.get("bye_status"),
             "release_s": r.get("release_s"), "pinholes_during": seen.get("pinholes"),
             **media_summary(r)}
        if not r["ok"]:
            why.append(f"{side} hangs up: {r.get('why')}")
        if ctx.obs.available() and not seen.get("pinholes"):
            why.append(f"{side} hangs up: no pinhole seen during the call")
        if not leak_check(ctx, e):
            why.append(f"{side} hangs up: left calls={e['calls_active_after']} "
                       f"pinholes={e['pinholes_after']}")
        ev[f"{side} hangs up"] = e
    return not why, ev, "; ".join(why)


def _refused_case(ctx, who, status, reason, number, target, expect):
    ctx.drain()
    t = None
    if who:
        t, _ = ctx.refuse(who, status, reason)
    got, setup = ctx.simple_call("pbx" if target == ctx.access else "carrier_a", target, number)
    if t:
        t.join(5)
    ev = {"number": number, "status_at_caller": got, "answer_s": setup}
    ok = got == expect and leak_check(ctx, ev)
    return ok, ev, "" if ok else f"caller got {got}, expected {expect}"


def case_busy(ctx):
    return _refused_case(ctx, "carrier_a", 486, "Busy Here", ctx.num["outbound"], ctx.access, 486)


def case_offline(ctx):
    return _refused_case(ctx, None, 0, "", ctx.num["offline_phone"], ctx.core, 480)


def case_wrong_number(ctx):
    return _refused_case(ctx, None, 0, "", ctx.num["unknown"], ctx.access, 404)


def _fallback(ctx, first_action, label):
    ctx.drain()
    t, _ = ctx.respond_in_background("carrier_a", first_action)
    r = ctx.call("pbx", "carrier_b", ctx.access, ctx.num["outbound"])
    t.join(5)
    ev = {"first carrier": label, "status": r.get("status"), "answered_by": "carrier_b"
          if r.get("media") else None, "setup_s": r.get("setup_s"), **media_summary(r)}
    ok = r["ok"] and leak_check(ctx, ev)
    return ok, ev, "" if ok else (r.get("why") or "leak after the call")


def case_fallback_503(ctx):
    return _fallback(ctx, lambda inc: inc.reject(503, "Service Unavailable"), "503")


def case_fallback_timeout(ctx):
    return _fallback(ctx, lambda inc: None, "silent (no provisional answer)")


def case_channel_cap(ctx):
    cap = ctx.plan["channel_cap"]
    ctx.drain()
    held, rtps, incs = [], [], []
    ev, why = {"peer": cap["peer"], "max": cap["max"]}, []
    callee = ctx.ua["carrier_a"]
    try:
        def answer_all():
            for _ in range(cap["max"]):
                inc = callee.wait_invite(10)
                if inc is None:
                    return
                rtp = rtp_actor.RtpEndpoint(callee.ns, callee.ip)
                rtps.append(rtp)
                incs.append(inc.answer(rtp, ring=False))
        t = threading.Thread(target=answer_all, daemon=True)
        t.start()
        for _ in range(cap["max"]):
            rtp = rtp_actor.RtpEndpoint(ctx.ua["pbx"].ns, ctx.ua["pbx"].ip)
            rtps.append(rtp)
            st, dlg, _ = ctx.ua["pbx"].invite(ctx.access, ctx.num["outbound_first_carrier_only"], rtp)
            held.append((st, dlg))
        t.join(10)
        ev["held_calls"] = [st for st, _ in held]
        if ctx.obs.available():
            ev["channels_active"] = ctx.obs.value("sbc_channels_active", f'{{peer="{cap["peer"]}"}}')
        expect = 503 if cap.get("over_cap", "refused") == "refused" else 200
        if expect == 200:  # routed on: the next carrier answers
            other = rtp_actor.RtpEndpoint(ctx.ua["carrier_b"].ns, ctx.ua["carrier_b"].ip)
            rtps.append(other)
            ctx.respond_in_background("carrier_b", lambda inc: inc.answer(other, ring=False))
        st, setup = ctx.simple_call("pbx", ctx.access, ctx.num["outbound_first_carrier_only"])
        ev["call_over_cap"] = st
        if [s for s, _ in held] != [200] * cap["max"]:
            why.append(f"calls under the cap were answered {ev['held_calls']}")
        if st != expect:
            why.append(f"call over the cap got {st}, expected {expect}")
        if ctx.obs.available() and ev.get("channels_active") != cap["max"]:
            why.append(f"sbc_channels_active was {ev.get('channels_active')}")
    finally:
        for _, dlg in held:
            if dlg:
                dlg.bye()
        for rtp in rtps:
            rtp.close()
    if not leak_check(ctx, ev):
        why.append("calls or pinholes left after the cap case")
    return not why, ev, "; ".join(why)


def case_high_volume(ctx):
    hv = ctx.plan["high_volume"]
    total = int(hv["rate"] * hv["seconds"])
    ctx.drain()
    callee = ctx.ua["carrier_b"]
    stop = threading.Event()
    answered = [0]

    def auto_answer():
        while not stop.is_set():
            inc = callee.wait_invite(0.2)
            if inc is None:
                continue
            # Answer with an SDP but no media: this case is about signalling rate.
            rtp = rtp_actor.RtpEndpoint(callee.ns, callee.ip)
            threading.Thread(target=lambda i=inc, r=rtp: (i.answer(r, ring=False), r.close()),
                             daemon=True).start()
            answered[0] += 1
    t = threading.Thread(target=auto_answer, daemon=True)
    t.start()
    caller = ctx.ua["loadgen"]
    results, lock = [], threading.Lock()

    def one():
        rtp = rtp_actor.RtpEndpoint(caller.ns, caller.ip)
        try:
            st, dlg, setup = caller.invite(ctx.access, ctx.num["load"], rtp, timeout=10)
            bye = None
            if dlg:
                time.sleep(1.0)
                bye = dlg.bye()
            with lock:
                results.append((st, bye, setup))
        finally:
            rtp.close()
    t0 = time.monotonic()
    threads = []
    for i in range(total):  # bounded: `total` calls, paced at the plan's rate
        delay = t0 + i / hv["rate"] - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        th = threading.Thread(target=one, daemon=True)
        th.start()
        threads.append(th)
    for th in threads:
        th.join(20)
    stop.set()
    t.join(2)
    elapsed = time.monotonic() - t0
    failed = sum(1 for st, bye, _ in results if st != 200 or bye != 200) + (total - len(results))
    setups = sorted(s for st, _, s in results if st == 200)
    ev = {"calls": total, "rate_per_s": hv["rate"], "period_s": hv["seconds"],
          "answered": sum(1 for st, _, _ in results if st == 200), "failed": failed,
          "failure_ratio": round(failed / total, 4), "elapsed_s": round(elapsed, 1),
          "setup_median_s": setups[len(setups) // 2] if setups else None,
          "setup_max_s": setups[-1] if setups else None}
    ok = ev["failure_ratio"] <= hv.get("max_failure_ratio", 0.0) and leak_check(ctx, ev)
    return ok, ev, "" if ok else f"failure ratio {ev['failure_ratio']}, leaks: " \
        f"calls={ev.get('calls_active_after')} pinholes={ev.get('pinholes_after')}"


def case_network_interruption(ctx):
    if not ctx.network:
        return None, {}, "no way to cut the carrier link in this plan (interruption.cut/restore)"
    secs = ctx.plan["interruption"]["seconds"]
    peer = ctx.plan["endpoints"]["carrier_a"].get("peer", "carA")
    label = f'{{peer="{peer}"}}'
    ev, why = {}, []
    ev["peer_up_before"] = ctx.obs.value("sbc_peer_up", label) if ctx.obs.available() else None
    cut_at = []

    def while_held(_res):
        # A call to carrier A is up (media flowed both ways): cut the link
        # under it, place a new call, then hang the held one up.
        ctx.network.cut()
        cut_at.append(time.monotonic())
        if ctx.obs.available():
            ev["peer_up_during"] = ctx.obs.wait_metric("sbc_peer_up", label, 0, secs + 2)
            if ev["peer_up_during"] != 0:
                why.append("trunk health did not go down")
        r = ctx.call("pbx", "carrier_b", ctx.access, ctx.num["outbound"])
        ev["new call during the cut"] = {"status": r.get("status"), "setup_s": r.get("setup_s"),
                                         "answered_by": "carrier_b" if r.get("media") else None,
                                         **media_summary(r)}
        if not r["ok"]:
            why.append(f"call during the cut: {r.get('why')}")
    try:
        ctx.drain()
        held = ctx.call("pbx", "carrier_a", ctx.access, ctx.num["outbound"], during=while_held,
                        far_bye_wait=0.5)  # cut off: the carrier cannot see it
        ev["call held across the cut"] = {
            "status": held.get("status"), **media_summary(held),
            "caller's BYE during the cut": held.get("bye_status"),
            "carrier saw the BYE": held.get("other_side_saw_bye")}
        if held.get("status") != 200 or held.get("bye_status") != 200:
            why.append(f"the call held across the cut: answered {held.get('status')}, "
                       f"caller's BYE answered {held.get('bye_status')}")
        if not cut_at:
            ctx.network.cut()  # the held call failed: still cut, for the health evidence
            cut_at.append(time.monotonic())
        rest = secs - (time.monotonic() - cut_at[0])
        if rest > 0:
            time.sleep(rest)
    finally:
        if cut_at:
            ctx.network.restore()
    t_cut = cut_at[0]
    ev["cut_s"] = round(time.monotonic() - t_cut, 1)
    t_restore = time.monotonic()
    if ctx.obs.available():
        ev["peer_up_after"] = ctx.obs.wait_metric("sbc_peer_up", label, 1, 10)
        ev["recovered_in_s"] = round(time.monotonic() - t_restore, 1)
        if ev["peer_up_after"] != 1:
            why.append("trunk health did not recover")
    ctx.drain()
    r = ctx.call("pbx", "carrier_a", ctx.access, ctx.num["outbound"])
    ev["call_after_restore"] = {"status": r.get("status"), **media_summary(r)}
    if not r["ok"]:
        why.append(f"call after the restore: {r.get('why')}")
    if not leak_check(ctx, ev):
        why.append("calls or pinholes left after the interruption")
    return not why, ev, "; ".join(why)


def case_nat_phone(ctx):
    e = ctx.plan["endpoints"]["nat_phone"]
    auth = (e["user"], e["password"])
    ev, why = {}, []
    st = ctx.ua["nat_phone"].register(ctx.access, e["user"], e["password"])
    ev["register"] = st
    if st != 200:
        return False, ev, f"REGISTER answered {st}"
    # The carrier hangs up the call to the phone and the phone its own call:
    # both BYEs toward the phone must cross its NAT binding (its Contact is
    # private), as the ACK of its 200 must.
    inn = ctx.call("carrier_a", "nat_phone", ctx.core, ctx.num["nat_phone"], hangup="caller",
                   first="callee")
    ev["carrier_a calls the NAT phone"] = {"status": inn.get("status"), **media_summary(inn)}
    if not inn["ok"]:
        why.append(f"call to the NAT phone: {inn.get('why')}")
    else:
        ev["media from (seen by the carrier)"] = list(inn["media"]["callee_to_caller"]["from"])
    out = ctx.call("nat_phone", "carrier_a", ctx.access, ctx.num["outbound"], auth=auth,
                   hangup="callee", first="caller")
    ev["NAT phone calls out, carrier hangs up"] = {"status": out.get("status"),
                                                    **media_summary(out)}
    if not out["ok"]:
        why.append(f"call from the NAT phone: {out.get('why')}")
    # Hung up by the phone: its BYE belongs to the dialog of its INVITE's
    # retry after the 407 challenge.
    own = ctx.call("nat_phone", "carrier_a", ctx.access, ctx.num["outbound"], auth=auth,
                   first="caller")
    ev["NAT phone calls out and hangs up"] = {"status": own.get("status"), **media_summary(own)}
    if not own["ok"]:
        why.append(f"call from the NAT phone, it hangs up: {own.get('why')}")
    ev["_media"] = [inn.get("media"), out.get("media"), own.get("media")]
    if not leak_check(ctx, ev):
        why.append("calls or pinholes left")
    return not why, ev, "; ".join(why)


def run_cases(ctx, names):
    results = []
    for name in names:
        fn = globals()["case_" + name]
        t0 = time.monotonic()
        try:
            ok, ev, why = fn(ctx)
        except Exception as e:  # a case that breaks is a failed case, with the reason
            ok, ev, why = False, {}, f"{type(e).__name__}: {e}"
        dt = time.monotonic() - t0
        result = "pass" if ok else "skipped" if ok is None else "FAIL"
        results.append({"case": name, "result": result, "seconds": round(dt, 2),
                        "evidence": ev, "why": why})
        print(f"  [{result}] {name} ({dt:.1f}s)" + (f": {why}" if why and not ok else ""),
              flush=True)
    return results


# --- the report ----------------------------------------------------------------------

def _mask(obj):
    if isinstance(obj, dict):
        return {k: ("****" if re.search(r"password|secret|ha1|key", k, re.I) else _mask(v))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mask(v) for v in obj]
    return obj


def configuration_sections(policy):
    """(title, header, rows) tables from a policy (the SBC's own file)."""
    out = []
    legs = [[i.get("name"), i.get("address"), ", ".join(f"{s.get('transport')}/{s.get('port')}"
                                                        for s in i.get("sip", [])),
             str(i.get("media_ports")), str(i.get("port", ""))] for i in policy.get("interfaces", [])]
    out.append(("Legs", ["leg", "address", "SIP", "media ports", "port"], legs))
    peers = []
    for p in policy.get("peers", []):
        a = p.get("auth", {})
        mode = a.get("mode") or ("digest" if "username" in a else "")
        auth = mode + (f" (user {a['username']}, password ****)" if "username" in a else "")
        limits = []
        if "channels" in p:
            limits.append(f"channels {p['channels'].get('max')}")
        if "cps" in p:
            limits.append(f"cps {p['cps']}")
        peers.append([p.get("name"), p.get("kind"), p.get("leg"), p.get("address", "registered"),
                      auth, ", ".join(limits) or "-",
                      json.dumps(p["probe"]) if "probe" in p else "-",
                      (p.get("media") or {}).get("latching", "default")])
    out.append(("Peers", ["peer", "kind", "leg", "address", "auth", "limits", "probe",
                          "media latching"], peers))
    routes = [[r.get("prefix"), r.get("from", "any"), ", ".join(r["to"]) if isinstance(
        r.get("to"), list) else r.get("to")] for r in policy.get("routes", [])]
    out.append(("Number ranges and routes", ["prefix", "from", "to (in order)"], routes))
    sec = policy.get("security", {})
    acl = [[a.get("action"), a.get("source", "0.0.0.0/0"), a.get("leg", "any"),
            a.get("protocol", "any"), str(a.get("ports", "0-65535")), a.get("trust", "")]
           for a in sec.get("acl", [])]
    out.append(("ACL (first match decides)", ["action", "source", "leg", "protocol", "ports",
                                              "trust"], acl))
    classes = sec.get("trust_classes") or [{"name": "untrusted", "rate": 10, "burst": 20},
                                           {"name": "registered", "rate": 50, "burst": 100},
                                           {"name": "carrier", "rate": 1000, "burst": 2000}]
    out.append(("Rate limits as configured (trust classes, packets/s to the control plane)",
                ["class", "rate", "burst"], [[c["name"], c["rate"], c["burst"]] for c in classes]))
    if "failed_auth" in sec:
        out.append(("Failed authentication bans", ["setting", "value"],
                    [[k, str(v)] for k, v in sec["failed_auth"].items()]))
    return out


def _evidence_text(ev):
    return "; ".join(f"{k}: {json.dumps(v) if isinstance(v, (dict, list)) else v}"
                     for k, v in ev.items() if not k.startswith("_"))


def write_reports(path_md, plan, policy, results, started, elapsed, notes=()):
    passed = sum(r["result"] == "pass" for r in results)
    failed = sum(r["result"] == "FAIL" for r in results)
    skipped = sum(r["result"] == "skipped" for r in results)
    title = f"SBC acceptance report: {plan.get('name', 'deployment')}"
    summary = (f"{passed} passed, {failed} failed, {skipped} skipped; started {started} UTC, "
               f"took {elapsed:.1f} s")
    sections = configuration_sections(policy) if policy else []
    endpoints = [[n, f"{e['address']}:{e.get('port', 5060)}", e.get("netns") or "-"]
                 for n, e in plan["endpoints"].items()]
    numbers = [[k, v] for k, v in plan["numbers"].items()]
    sbc = [[leg, f"{v['address']}:{v.get('port', 5060)}"] for leg, v in plan["sbc"].items()
           if isinstance(v, dict) and "address" in v]
    case_rows = [[r["case"], r["result"], f"{r['seconds']:.1f}", _evidence_text(r["evidence"]),
                  r["why"] or ""] for r in results]

    md = [f"# {title}", "", f"**{'PASSED' if failed == 0 else 'FAILED'}**: {summary}", ""]
    for n in notes:
        md.append(f"- {n}")
    if notes:
        md.append("")

    def md_table(head, rows):
        esc = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
        return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + [
            "| " + " | ".join(esc(c) for c in row) + " |" for row in rows] + [""]

    md += ["## SBC legs (SIP addresses under test)", ""] + md_table(["leg", "address:port"], sbc)
    md += ["## Test endpoints", ""] + md_table(["endpoint", "address:port", "namespace"], endpoints)
    md += ["## Numbers used", ""] + md_table(["purpose", "number"], numbers)
    for t, head, rows in sections:
        md += [f"## {t}", ""] + (md_table(head, rows) if rows else ["(none)", ""])
    md += ["## Cases", ""] + md_table(["case", "result", "seconds", "evidence", "why it failed"],
                                      case_rows)
    with open(path_md, "w") as f:
        f.write("\n".join(md))

    def h_table(head, rows):
        return ("<table><tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in head) + "</tr>"
                + "".join("<tr>" + "".join(
                    f"<td class='{html.escape(str(c))}'>{html.escape(str(c))}</td>" for c in row)
                          + "</tr>" for row in rows) + "</table>")
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<p><b>{'PASSED' if failed == 0 else 'FAILED'}</b>: {html.escape(summary)}</p>"]
    if notes:
        body.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    body += ["<h2>SBC legs (SIP addresses under test)</h2>", h_table(["leg", "address:port"], sbc),
             "<h2>Test endpoints</h2>", h_table(["endpoint", "address:port", "namespace"], endpoints),
             "<h2>Numbers used</h2>", h_table(["purpose", "number"], numbers)]
    for t, head, rows in sections:
        body += [f"<h2>{html.escape(t)}</h2>", h_table(head, rows) if rows else "<p>(none)</p>"]
    body += ["<h2>Cases</h2>", h_table(["case", "result", "seconds", "evidence", "why it failed"],
                                       case_rows)]
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
             "td,th{border:1px solid #999;padding:3px 6px;text-align:left;vertical-align:top}"
             "td.pass{background:#cfc}td.FAIL{background:#fcc}td.skipped{background:#eee}")
    path_html = os.path.splitext(path_md)[0] + ".html"
    with open(path_html, "w") as f:
        f.write(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
                f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n")
    return path_md, path_html


# --- the lab's network controller ------------------------------------------------------

class LabCarrierLink:
    """Cuts carrier A off: netfilter drops everything in its namespace, then
    restored by deleting exactly those rules."""

    RULES = (["INPUT", "-j", "DROP"], ["OUTPUT", "-j", "DROP"])

    def __init__(self, lab, host="carA"):
        self.lab, self.host = lab, host

    def cut(self):
        for r in self.RULES:
            self.lab.run(self.host, ["iptables", "-I"] + r, check=True)

    def restore(self):
        for r in self.RULES:
            self.lab.run(self.host, ["iptables", "-D"] + r)


class CommandLink:
    """A deployment's cut/restore commands from the plan (run on this host)."""

    def __init__(self, spec):
        self.spec = spec

    def cut(self):
        subprocess.run(self.spec["cut"], shell=True, check=True)

    def restore(self):
        subprocess.run(self.spec["restore"], shell=True, check=False)


def load_plan(path):
    with open(path) as f:
        text = f.read()
    if path.endswith(".json"):
        return json.loads(text)
    try:
        import yaml
    except ImportError:
        raise SystemExit("acceptance: YAML plans need python3-yaml (apt-get install "
                         "python3-yaml), or write the plan as JSON")
    return yaml.safe_load(text)


def load_policy(text_or_path):
    try:
        import yaml
    except ImportError:
        return None
    if "\n" not in text_or_path:
        with open(text_or_path) as f:
            text_or_path = f.read()
    return yaml.safe_load(text_or_path)


def start_lab_sbcd(lab, extra=()):
    """The lab's sbcd with the acceptance policy on the DPDK dataplane."""
    sbcd = labkit.Sbcd(lab, lab_policy_text(lab), dataplane=True,
                       extra_args=["--failover-timeout", "2", "--media-one-way-timeout", "30"]
                       + list(extra))
    sbcd.start(timeout=60)
    return sbcd


def wait_trunks_up(obs, peers, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(obs.value("sbc_peer_up", f'{{peer="{p}"}}') == 1 for p in peers):
            return True
        time.sleep(0.1)
    return False


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plan", help="the test plan (YAML or JSON) describing a deployment")
    ap.add_argument("--lab", action="store_true",
                    help="create a lab, start sbcd in it and run the plan against it")
    ap.add_argument("--report", default="acceptance-report.md",
                    help="where to write the Markdown report (the HTML one goes beside it)")
    ap.add_argument("--cases", help="comma-separated subset of: " + ", ".join(CASES))
    ap.add_argument("--json", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    if not args.lab and not args.plan:
        ap.error("give --plan FILE or --lab")
    names = args.cases.split(",") if args.cases else list(CASES)
    for n in names:
        if n not in CASES:
            ap.error(f"unknown case {n}")
    labkit.install_signal_teardown()
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    t0 = time.monotonic()
    lab = sbcd = ctx = None
    notes = []
    try:
        if args.lab:
            if not labkit.is_root():
                raise SystemExit("acceptance --lab: run as root (network namespaces)")
            lab = labkit.Lab("dataplane").__enter__()
            plan = lab_plan(lab)
            if args.plan:
                plan.update({k: v for k, v in load_plan(args.plan).items()
                             if k in ("high_volume", "interruption", "rtp_packets")})
            sbcd = start_lab_sbcd(lab)
            policy = load_policy(lab_policy_text(lab))
            obs = Observer(sbcd=sbcd)
            network = LabCarrierLink(lab)
            notes.append(f"lab {lab.name}: sbcd on the DPDK dataplane (af_xdp on veth pairs)")
        else:
            plan = load_plan(args.plan)
            policy = load_policy(plan["policy"]) if plan.get("policy") else None
            obs = Observer(admin_socket=plan.get("admin_socket"), metrics_url=plan.get("metrics"))
            network = CommandLink(plan["interruption"]) if plan.get("interruption", {}).get(
                "cut") else None
            if not obs.available():
                notes.append("no admin socket or metrics URL in the plan: pinhole and leak "
                             "checks could not be made")
        ctx = Context(plan, obs, network)
        if obs.available():  # probes failed while nothing answered: wait for them
            peers = [e["peer"] for e in plan["endpoints"].values() if e.get("peer")]
            if not wait_trunks_up(obs, peers):
                notes.append("trunks were not all up (OPTIONS probing) before the cases ran")
        print(f"acceptance: {len(names)} cases against {plan['sbc']['access']['address']} "
              f"(access) and {plan['sbc']['core']['address']} (core)", flush=True)
        results = run_cases(ctx, names)
    finally:
        if ctx:
            ctx.close()
        if sbcd:
            log = sbcd.log_text()
            sbcd.cleanup()
        if lab:
            lab.down()
    elapsed = time.monotonic() - t0
    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    md, htm = write_reports(args.report, plan, policy, results, started, elapsed, notes)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "elapsed_s": round(elapsed, 1)}, f, indent=1,
                      default=str)
    failed = [r["case"] for r in results if r["result"] == "FAIL"]
    if failed and sbcd:
        print("--- sbcd log (tail) ---\n" + log[-3000:])
    print(f"acceptance {'FAILED' if failed else 'passed'} in {elapsed:.1f}s "
          f"({len(results) - len(failed)}/{len(results)} not failed); reports: {md}, {htm}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
