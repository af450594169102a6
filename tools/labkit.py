"""Drives the lab for the integration tests and the demo.

Lab: a tools/lab instance owned by this process (torn down on exit, on an
exception, and on SIGTERM/SIGINT, which are turned into SystemExit so every
`with`/`finally` runs). Sbcd: the real daemon started inside the lab's sbc
namespace and stopped by its PID. sipp runs inside lab hosts.

Only addresses inside the lab (198.18.0.0/15) or loopback are ever used.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("SBC_BUILD_DIR", os.path.join(REPO, "build"))
LAB = os.path.join(REPO, "tools", "lab")
SIPP_DIR = os.path.join(REPO, "tools", "sipp")


def _raise_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def install_signal_teardown():
    """meson test and CI stop a test with SIGTERM: make it unwind, not die."""
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGINT, _raise_on_signal)


def is_root():
    return os.geteuid() == 0


class Lab:
    def __init__(self, mode="kernel"):
        self.mode = mode
        self.name = None
        self.info = None

    def __enter__(self):
        out = subprocess.run([LAB, "up", "--mode", self.mode, "--owner", str(os.getpid())],
                             check=True, capture_output=True, text=True)
        self.name = out.stdout.strip()
        self.info = json.loads(subprocess.run([LAB, "info", self.name], check=True,
                                              capture_output=True, text=True).stdout)
        return self

    def __exit__(self, *exc):
        self.down()
        return False

    def down(self):
        if self.name:
            subprocess.run([LAB, "down", self.name], check=False)
            self.name = None

    def ns(self, host):
        return self.info["namespaces"][host]

    def run(self, host, args, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(["ip", "netns", "exec", self.ns(host)] + list(args), **kw)

    def popen(self, host, args, **kw):
        return subprocess.Popen(["ip", "netns", "exec", self.ns(host)] + list(args), **kw)

    def ping(self, host, address, count=1):
        return self.run(host, ["ping", "-c", str(count), "-W", "2", address]).returncode == 0


class SharedLab:
    """unittest mixin: one lab (mode `lab_mode`) for the whole test class,
    removed after its last test: class Foo(labkit.SharedLab, unittest.TestCase)."""
    lab_mode = "kernel"

    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(cls.lab_mode).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.lab.down()


def lab_policy(lab, udp_port=5060, tcp=True, driver="af_xdp"):
    """A policy for the lab's SBC host: legs access and core, each on a DPDK
    port of `driver` (af_xdp or af_packet) over the SBC's veth (used in
    dataplane mode; ignored with --no-dataplane)."""
    legs = []
    for i, name in enumerate(("access", "core")):
        leg = lab.info["sbc"][name]
        sip = [f"{{ transport: udp, port: {udp_port} }}"]
        if tcp:
            sip.append(f"{{ transport: tcp, port: {udp_port} }}")
        port = f"net_{driver}{i},iface={leg['if']}"
        legs.append(
            f"  - name: {name}\n"
            f"    port: \"{port}\"\n"
            f"    address: {leg['address']}/{leg['prefix']}\n"
            f"    sip:\n" + "".join(f"      - {s}\n" for s in sip) +
            f"    media_ports: {20000 + i * 10000}-{29999 + i * 10000}\n")
    return "interfaces:\n" + "".join(legs)


class Sbcd:
    """The real sbcd inside the lab's sbc namespace."""

    def __init__(self, lab, policy_text, dataplane=False, extra_args=()):
        self.lab = lab
        self.dir = tempfile.mkdtemp(prefix="sbcd-")
        self.policy = os.path.join(self.dir, "policy.yaml")
        self.socket = os.path.join(self.dir, "admin.sock")
        self.log = os.path.join(self.dir, "sbcd.log")
        self.registrations_db = os.path.join(self.dir, "registrations.db")
        with open(self.policy, "w") as f:
            f.write(policy_text)
        self.dataplane = dataplane
        self.extra_args = list(extra_args)
        self.proc = None

    def start(self, timeout=20.0):
        args = [os.path.join(BUILD, "controlplane", "sbcd"), "--policy", self.policy,
                "--admin-socket", self.socket, "--metrics", "127.0.0.1:9464",
                "--registrations-db", self.registrations_db,
                # sipp computes MD5 digests only, and takes the first challenge.
                "--digest", "md5"]
        if not self.dataplane:
            args.append("--no-dataplane")
        args += self.extra_args
        self._log = open(self.log, "w")
        self.proc = self.lab.popen("sbc", args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sbcd exited with {self.proc.returncode}:\n{self.log_text()}")
            if self._socket_answers():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"sbcd did not open its admin socket in {timeout}s:\n{self.log_text()}")

    def _socket_answers(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(self.socket)
                return True
            except OSError:
                return False

    def ctl(self, *args):
        """sbcctl against this sbcd; returns CompletedProcess."""
        return subprocess.run([os.path.join(BUILD, "tools", "sbcctl"), "--socket", self.socket]
                              + list(args), capture_output=True, text=True, timeout=30)

    def metrics(self):
        r = self.lab.run("sbc", ["curl", "-sf", "--max-time", "5", "http://127.0.0.1:9464/metrics"])
        if r.returncode != 0:
            raise RuntimeError(f"metrics scrape failed: {r.stderr}")
        return r.stdout

    def signal(self, signum):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signum)

    def stop(self, timeout=10.0):
        """SIGTERM by PID; returns sbcd's exit code (SIGKILL after timeout)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            # ip netns exec execs sbcd in place: this PID is sbcd itself.
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False


def _sipp_args(scenario, target, local_ip, calls, rate, local_port, timeout_s, extra):
    scen = scenario if os.path.isabs(scenario) else os.path.join(SIPP_DIR, scenario)
    args = ["sipp", "-sf", scen]
    if target:
        args.append(target)
    args += ["-i", local_ip, "-m", str(calls), "-r", str(rate),
             "-timeout", f"{timeout_s}s", "-timeout_error", "-nostdin"]
    if local_port:
        args += ["-p", str(local_port)]
    return args + list(extra)


def sipp(lab, host, scenario, target, local_ip, calls=1, rate=10, local_port=None,
         timeout_s=30, extra=(), cwd=None):
    """Runs a sipp scenario from tools/sipp/ in a lab host; bounded by count and time.
    cwd: where sipp writes its traces (-trace_msg ...); a temporary directory if None."""
    args = _sipp_args(scenario, target, local_ip, calls, rate, local_port, timeout_s, extra)
    if cwd:
        return lab.run(host, args, cwd=cwd, timeout=timeout_s + 15)
    with tempfile.TemporaryDirectory(prefix="sipp-") as d:
        return lab.run(host, args, cwd=d, timeout=timeout_s + 15)


class SippServer:
    """A sipp UAS (target None) or UAC running in the background in a lab host,
    bounded by its call count and -timeout; stopped by its PID if still running.
    Use as a context manager; wait() returns the CompletedProcess-like result."""

    def __init__(self, lab, host, scenario, local_ip, calls=1, local_port=5060, timeout_s=30,
                 extra=(), target=None, rate=10, cwd=None):
        self.args = _sipp_args(scenario, target, local_ip, calls, rate, local_port, timeout_s,
                               extra)
        self.timeout_s = timeout_s
        self._tmp = None if cwd else tempfile.mkdtemp(prefix="sipp-")
        self.cwd = cwd or self._tmp
        self.proc = lab.popen(host, self.args, cwd=self.cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        self.returncode = None
        self.output = ""

    def wait(self, timeout=None):
        try:
            self.output, _ = self.proc.communicate(timeout=timeout or self.timeout_s + 15)
        except subprocess.TimeoutExpired:
            self.stop()
        self.returncode = self.proc.returncode
        return self

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # by PID: ip netns exec execs sipp in place
            try:
                self.output, _ = self.proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.output, _ = self.proc.communicate()
        self.returncode = self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
        return False


def run_root_tests():
    """The __main__ of every integration test script: skip (exit 77, which
    meson counts as skipped) without root, unwind on SIGTERM, run unittest."""
    import unittest
    if not is_root():
        print("SKIP: integration tests need root (network namespaces)")
        raise SystemExit(77)
    install_signal_teardown()
    unittest.main(module="__main__", verbosity=2)


def metric(text, name, labels=""):
    """One sample's value from Prometheus exposition text; None if absent."""
    import re
    m = re.search(r"^" + re.escape(name + labels) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def scenario_with_status(name, status, tmpdir):
    """A copy of a tools/sipp/ scenario with __STATUS__ replaced: sipp takes
    no response code from its command line."""
    with open(os.path.join(SIPP_DIR, name)) as f:
        text = f.read().replace("__STATUS__", str(status))
    path = os.path.join(tmpdir, f"{status}-{name}")
    with open(path, "w") as f:
        f.write(text)
    return path


def wait_udp_listening(lab, host, address, port, timeout=10.0):
    """Until something listens on address:port/udp in a lab host."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = lab.run(host, ["ss", "-lun"]).stdout
        if f"{address}:{port}" in out:
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {address}:{port} in {host}")
