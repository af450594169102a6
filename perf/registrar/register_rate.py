#!/usr/bin/env python3
"""REGISTER-with-digest rate through the lab: sbcd against Kamailio.

Each registration is a challenge plus an authenticated REGISTER (sipp's
register.xml). N distinct phones (default 100,000) register at stepped rates;
for each registrar the highest rate with under 0.1% failed registrations is
reported, and sbcd's memory per binding (RSS growth over the bindings held).
Both registrars run in the lab's sbc namespace on the same core (--core,
default 1: sbcd's control thread, every Kamailio process) with the generator
(sipp, in the phones namespace) on the other (--gen-core, default 0).
sbcd runs with --no-dataplane (this is the control plane's figure) and its
registrations database on (write-behind, docs/registrar.md); Kamailio keeps
bindings in memory only (usrloc db_mode 0) with one SIP worker (children=1).

The ratio sbcd/Kamailio is the figure to read: both run in the same
invocation on the same shared machine. It never gates CI: --smoke runs a few
hundred registrations at one low rate so the script does not rot.

  sudo perf/registrar/register_rate.py                  # full run (several minutes)
  sudo perf/registrar/register_rate.py --phones 20000 --rates 2000,5000 --seconds 10
  sudo perf/registrar/register_rate.py --smoke
"""

import argparse
import csv
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402

SBC = "198.18.1.1"
PHONE = "198.18.1.11"
HERE = os.path.dirname(os.path.abspath(__file__))


def password(user):
    return f"pw-{user}"


def users(n):
    return [str(100000 + i) for i in range(n)]


def write_sipp_users(path, names, expires):
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for u in names:
            f.write(f"{u};[authentication username={u} password={password(u)}];{expires}\n")


def write_members(path, names):
    with open(path, "w") as f:
        f.write("name,username,password\n")
        for u in names:
            f.write(f"phone-{u},{u},{password(u)}\n")


def sipp_step(lab, workdir, inf, rate, seconds, gen_core, port):
    """One step: rate*seconds registrations at `rate`/s. Returns (ok, failed)."""
    calls = max(1, int(rate * seconds))
    stat = os.path.join(workdir, f"stat-{port}-{rate}.csv")
    args = ["taskset", "-c", str(gen_core)] + labkit._sipp_args(
        "register.xml", f"{SBC}:5060", PHONE, calls, rate, port, int(seconds * 3 + 30),
        ["-inf", inf, "-trace_stat", "-stf", stat, "-fd", "1", "-l", str(max(1000, rate * 4)),
         "-max_socket", "10"])
    r = lab.run("phones", args, cwd=workdir, timeout=seconds * 3 + 60)
    ok = failed = 0
    try:
        with open(stat) as f:
            rows = list(csv.reader(f, delimiter=";"))
        head, last = rows[0], rows[-1]
        ok = int(last[head.index("SuccessfulCall(C)")])
        failed = int(last[head.index("FailedCall(C)")])
    except (OSError, ValueError, IndexError):
        failed = calls
    # Calls sipp never finished count as failed too.
    failed = max(failed, calls - ok)
    if r.returncode not in (0, 1):
        print(f"  sipp exited {r.returncode}: {r.stderr.strip()[-300:]}", file=sys.stderr)
    return ok, failed


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_breakdown_kb(pid):
    """RSS by kind of mapping (/proc/PID/smaps): the main heap (brk), anonymous
    mappings (glibc's per-thread arenas, big mmap'd blocks, thread stacks) and
    files (code, SQLite's mmap if any)."""
    out = {"heap": 0, "anon": 0, "file": 0}
    kind = "anon"
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                field = line.split()
                if not field:
                    continue
                if not field[0].endswith(":"):  # a mapping's header line
                    name = field[5] if len(field) > 5 else ""
                    kind = "heap" if name == "[heap]" else "file" if name.startswith("/") else "anon"
                elif field[0] == "Rss:":
                    out[kind] += int(field[1])
    except OSError:
        pass
    return out


def run_steps(name, lab, workdir, inf, rates, seconds, gen_core, port, results):
    best = None
    for rate in rates:
        ok, failed = sipp_step(lab, workdir, inf, rate, seconds, gen_core, port)
        total = ok + failed
        ratio = failed / total if total else 1.0
        print(f"  {name:9s} {rate:7d}/s for {seconds}s: {ok} ok, {failed} failed "
              f"({100 * ratio:.3f}%)", flush=True)
        results.append((name, rate, ok, failed))
        if ratio < 0.001:
            best = rate
        else:
            break  # the next step up would only fail more
        port += 1  # a fresh sipp socket per step: no stray retransmissions
    return best


def bench_sbcd(lab, args, names, inf, workdir, results):
    members = os.path.join(workdir, "members.csv")
    write_members(members, names)
    policy = labkit.lab_policy(lab, tcp=False) + f"""templates:
  - {{name: phone, kind: phone, leg: access, members: {{csv: {members}}}}}
"""
    sbcd = labkit.Sbcd(lab, policy, extra_args=["--log-level", "warn"])
    try:
        t0 = time.monotonic()
        sbcd.start(timeout=120)
        print(f"  sbcd      started with {len(names)} phone peers in {time.monotonic() - t0:.1f}s")
        os.sched_setaffinity(sbcd.proc.pid, {args.core})  # the control thread
        rss0 = rss_kb(sbcd.proc.pid)
        parts0 = rss_breakdown_kb(sbcd.proc.pid)
        held = per_binding = None
        if not args.smoke:
            # Every phone once, at the lowest step's rate, for the memory
            # figure; measured after nta's completed transactions are gone
            # (timer J, 64*T1 = 32 s) and sbcd's heap trim (every 10 s,
            # controlplane/heap_trim.h) gave their memory back, so RSS holds
            # bindings, not transactions.
            rate = args.memory_rate or min(args.rates)
            ok, failed = sipp_step(lab, workdir, inf, rate, len(names) / rate, args.gen_core, 5300)
            print(f"  sbcd      every phone once at {rate}/s: {ok} ok, {failed} failed; "
                  f"RSS {rss_kb(sbcd.proc.pid) // 1024} MB right after", flush=True)
            time.sleep(45)
            rss1 = rss_kb(sbcd.proc.pid)
            parts1 = rss_breakdown_kb(sbcd.proc.pid)
            held = labkit.metric(sbcd.metrics(), "sbc_registrations") or 0
            if held:
                per_binding = (rss1 - rss0) * 1024 / held
            growth = ", ".join(f"{k} {(parts1[k] - parts0[k]) / 1024:+.1f}" for k in parts0)
            print(f"  sbcd      RSS {rss0 // 1024} MB at start, {rss1 // 1024} MB with "
                  f"{int(held)} bindings, transactions expired (MB by mapping: {growth})",
                  flush=True)
            if args.memory_only:
                return None, held, per_binding
        best = run_steps("sbcd", lab, workdir, inf, args.rates, args.seconds, args.gen_core, 5400,
                         results)
        return best, held, per_binding
    finally:
        sbcd.cleanup()


def bench_kamailio(lab, args, inf, workdir, results):
    cfg = os.path.join(workdir, "kamailio.cfg")
    with open(os.path.join(HERE, "kamailio.cfg")) as f:
        text = f.read().replace("LISTEN", f"{SBC}:5060").replace("CHILDREN", "1")
    with open(cfg, "w") as f:
        f.write(text)
    log = open(os.path.join(workdir, "kamailio.log"), "w")
    proc = lab.popen("sbc", ["taskset", "-c", str(args.core), "kamailio", "-f", cfg, "-DD", "-E",
                             "-m", "256", "-M", "32", "-P", os.path.join(workdir, "kam.pid")],
                     stdout=log, stderr=log)
    try:
        time.sleep(1.5)
        if proc.poll() is not None:
            log.flush()
            with open(log.name) as f:
                raise RuntimeError(f"kamailio exited {proc.returncode}: {f.read()[-1500:]}")
        return run_steps("kamailio", lab, workdir, inf, args.rates, args.seconds, args.gen_core,
                         5600, results)
    finally:
        if proc.poll() is None:
            proc.terminate()  # by PID: ip netns exec execs kamailio in place
            try:
                proc.wait(10)
            except Exception:
                proc.kill()
                proc.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--phones", type=int, default=100000)
    ap.add_argument("--rates", default="2000,5000,10000,15000,20000,25000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--core", type=int, default=1)
    ap.add_argument("--gen-core", type=int, default=0)
    ap.add_argument("--memory-rate", type=int, default=0,
                    help="rate of the memory run (every phone once; default: the lowest step)")
    ap.add_argument("--memory-only", action="store_true",
                    help="sbcd's memory per binding only: no rate steps, no Kamailio")
    ap.add_argument("--smoke", action="store_true", help="300 phones, one step of 2 s at 100/s")
    args = ap.parse_args()
    if args.smoke:
        args.phones, args.rates, args.seconds = 300, "100", 2
    args.rates = sorted(int(r) for r in args.rates.split(","))
    if not labkit.is_root():
        print("SKIP: the REGISTER-rate benchmark needs root (lab namespaces)")
        return 77
    ncpu = os.cpu_count() or 1
    if args.core >= ncpu or args.gen_core >= ncpu:
        args.core, args.gen_core = 0, 0
    labkit.install_signal_teardown()
    names = users(args.phones)
    started = time.monotonic()
    results = []
    with labkit.Lab("kernel") as lab, tempfile.TemporaryDirectory(prefix="regbench-") as workdir:
        inf = os.path.join(workdir, "users.csv")
        write_sipp_users(inf, names, 3600)
        print(f"REGISTER rate, {args.phones} phones, steps {args.rates}/s x {args.seconds}s; "
              f"registrar on core {args.core}, sipp on core {args.gen_core}")
        sbcd_best, held, per_binding = bench_sbcd(lab, args, names, inf, workdir, results)
        kam_best = None if args.memory_only else bench_kamailio(lab, args, inf, workdir, results)
    if not args.memory_only:
        print("\nresult (highest step with under 0.1% failed registrations):")
        print(f"  sbcd      {sbcd_best or 0}/s")
        print(f"  kamailio  {kam_best or 0}/s")
        if sbcd_best and kam_best:
            print(f"  ratio sbcd/kamailio: {sbcd_best / kam_best:.2f}")
    if per_binding:
        print(f"  sbcd after every phone registered once: {int(held)} bindings, "
              f"RSS growth {per_binding:.0f} bytes per binding")
    print(f"  (took {time.monotonic() - started:.0f}s)")
    if args.smoke:
        # The smoke run proves the machinery: both registrars took every registration.
        return 0 if sbcd_best and kam_best else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
