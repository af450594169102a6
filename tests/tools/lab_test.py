"""The lab itself: up and down cleanly many times in a row, two at once,
nothing left behind, isolation between labs and between its networks."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import labkit  # noqa: E402


def netns_names():
    return set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
               .stdout.split())


class LabTest(unittest.TestCase):
    def test_twenty_cycles_leave_nothing_behind(self):
        # Other tests' labs may come and go meanwhile: look only at this lab's.
        for i in range(20):
            with labkit.Lab() as lab:
                name = lab.name
                self.assertTrue(lab.ping("phones", "198.18.1.1"), f"cycle {i}: phones -> sbc")
                mine = {n for n in netns_names() if n.startswith(name + "-")}
                self.assertEqual(len(mine), 8)
            left = {n for n in netns_names() if n.startswith(name + "-")}
            self.assertEqual(left, set(), f"cycle {i} left namespaces behind")
            self.assertFalse(os.path.exists(f"/run/sbc-lab/{name}"))

    def test_two_labs_at_once_are_isolated(self):
        with labkit.Lab() as a, labkit.Lab() as b:
            self.assertNotEqual(a.name, b.name)
            for lab in (a, b):
                self.assertTrue(lab.ping("phones", "198.18.1.1"))
                self.assertTrue(lab.ping("natph", "198.18.1.1"), "NAT path")
                self.assertTrue(lab.ping("carA", "198.18.2.1"))
                self.assertTrue(lab.ping("carB", "198.18.2.1"))
                # The SBC host is the only way between the networks.
                self.assertFalse(lab.ping("phones", "198.18.2.10"))
            # Cutting a link in one lab does not touch the other.
            a.run("core", ["ip", "link", "set", "carA", "down"], check=True)
            self.assertFalse(a.ping("carA", "198.18.2.1"))
            self.assertTrue(b.ping("carA", "198.18.2.1"))

    def test_nat_rewrites_the_source(self):
        with labkit.Lab() as lab:
            # The SBC sees the router's address, not the phone's.
            cap = lab.popen("sbc", ["timeout", "5", "python3", "-c",
                                    "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                                    "s.bind(('198.18.1.1',5999));s.settimeout(4);"
                                    "d,a=s.recvfrom(100);print(a[0])"],
                            stdout=subprocess.PIPE, text=True)
            import time
            time.sleep(0.3)
            lab.run("natph", ["python3", "-c",
                              "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                              "s.sendto(b'x',('198.18.1.1',5999))"], check=True)
            out, _ = cap.communicate(timeout=10)
            self.assertEqual(out.strip(), "198.18.1.254")

    def test_gc_removes_labs_of_dead_owners(self):
        owner = subprocess.Popen(["sleep", "30"])
        name = subprocess.run([labkit.LAB, "up", "--owner", str(owner.pid)], check=True,
                              capture_output=True, text=True).stdout.strip()
        try:
            subprocess.run([labkit.LAB, "gc"], check=True)
            self.assertIn(f"{name}-sbc", netns_names(), "gc removed a live owner's lab")
            owner.kill()
            owner.wait()
            subprocess.run([labkit.LAB, "gc"], check=True, capture_output=True)
            self.assertNotIn(f"{name}-sbc", netns_names())
        finally:
            if owner.poll() is None:
                owner.kill()
                owner.wait()
            subprocess.run([labkit.LAB, "down", name], check=False)


if __name__ == "__main__":
    labkit.run_root_tests()
