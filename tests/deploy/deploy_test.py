"""deploy/: the host preparation script's dry run (the only mode this machine
can run: it has no NIC and no hugepages) and the systemd unit, checked by
systemd-analyze against the real binaries of this build."""

import os
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SBC_BUILD_DIR", os.path.join(REPO, "build"))
PREP = os.path.join(REPO, "deploy", "host-prep")


def prep(*args):
    return subprocess.run([PREP] + list(args), capture_output=True, text=True, timeout=30)


class HostPrep(unittest.TestCase):
    def test_dry_run_prints_every_step_and_changes_nothing(self):
        unit_path = "/etc/systemd/system/sbcd.service"
        before = os.path.exists(unit_path)
        r = prep("--hugepages", "2G", "--nic", "0000:03:00.0", "--isolate-cpus", "2-3",
                 "--kernel-ports", "40000-60999", "--install-unit")
        self.assertEqual(r.returncode, 0, r.stderr)
        for expected in ("$ dpdk-hugepages.py --setup 2G",
                         "$ modprobe vfio-pci",
                         "$ dpdk-devbind.py --bind=vfio-pci 0000:03:00.0",
                         "isolcpus=2-3 nohz_full=2-3 rcu_nocbs=2-3",
                         "net.ipv4.ip_local_port_range = 40000 60999",
                         "sbcd.service /etc/systemd/system/sbcd.service",
                         "dry run, nothing changed"):
            self.assertIn(expected, r.stdout)
        self.assertEqual(os.path.exists(unit_path), before, "a dry run installed the unit")

    def test_bad_arguments_are_refused(self):
        for args in (["--nic", "03:00.0"], ["--hugepages", "lots"], ["--isolate-cpus", "a-b"],
                     ["--frobnicate"], [], ["--kernel-ports", "60999-40000"],
                     ["--kernel-ports", "80-90"]):
            r = prep(*args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))


class SystemdUnit(unittest.TestCase):
    def test_unit_verifies_against_this_build(self):
        unit = open(os.path.join(REPO, "deploy", "systemd", "sbcd.service")).read()
        unit = unit.replace("/usr/local/bin/sbcd ", os.path.join(BUILD, "controlplane", "sbcd") + " ")
        unit = unit.replace("/usr/local/bin/sbcctl ", os.path.join(BUILD, "tools", "sbcctl") + " ")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sbcd.service")
            with open(path, "w") as f:
                f.write(unit)
            r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True,
                               timeout=60)
        problems = [l for l in (r.stdout + r.stderr).splitlines()
                    if "sbcd.service" in l and "Documentation" not in l]
        self.assertEqual(problems, [], r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
