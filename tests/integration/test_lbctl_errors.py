#!/usr/bin/python3
"""lbctl when lbd is absent, and the bus policy: anyone reads, only root and group lbd reload."""
import grp
import subprocess
import unittest

from lbdlab import LBCTL, NOBODY, Lab


class LbdAbsent(unittest.TestCase):
    def setUp(self):
        self.lab = Lab().start_bus()

    def tearDown(self):
        self.lab.close()

    def test_bus_up_but_no_lbd(self):
        result = self.lab.lbctl("status")
        self.assertEqual(result.returncode, 3)
        self.assertEqual(result.stderr, "Failed to get status: lbd is not running (no io.lbd1 on the bus at "
                                        + self.lab.address + ")\n")
        self.assertEqual(self.lab.lbctl("reload").returncode, 3)
        self.assertEqual(self.lab.lbctl("pools").returncode, 3)

    def test_no_bus_at_all(self):
        address = "unix:path=" + self.lab.dir + "/no-such-socket"
        result = subprocess.run([LBCTL, "--bus", address, "status"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 3)
        self.assertEqual(result.stderr.splitlines()[0],
                         "Failed to connect to lbd: cannot connect to the bus at " + address +
                         " (Failed to open bus (No such file or directory)); lbd is not running")

    def test_usage_errors(self):
        self.assertEqual(subprocess.run([LBCTL], capture_output=True).returncode, 2)
        self.assertEqual(subprocess.run([LBCTL, "frobnicate"], capture_output=True).returncode, 2)
        self.assertEqual(subprocess.run([LBCTL, "--json=yaml", "pools"], capture_output=True).returncode, 2)
        help_text = subprocess.run([LBCTL, "--help"], capture_output=True, text=True)
        self.assertEqual(help_text.returncode, 0)
        for verb in ("status", "pools", "reload", "check-config"):
            self.assertIn(verb, help_text.stdout)


class Policy(unittest.TestCase):
    """The shipped io.lbd1.conf, enforced by a real dbus-daemon."""

    @classmethod
    def setUpClass(cls):
        # The policy names group "lbd"; the bus resolves it when it starts.
        try:
            grp.getgrnam("lbd")
            cls.created_group = False
        except KeyError:
            subprocess.run(["groupadd", "--system", "lbd"], check=True)
            cls.created_group = True
        cls.lbd_gid = grp.getgrnam("lbd").gr_gid

    @classmethod
    def tearDownClass(cls):
        if cls.created_group:
            subprocess.run(["groupdel", "lbd"], check=True)

    def setUp(self):
        self.lab = Lab().start_bus()
        self.lab.write("lbd.toml", '[[pool]]\nname = "web"\naddresses = ["192.0.2.240/28"]\n')
        self.lab.start_lbd()

    def tearDown(self):
        self.lab.close()

    def test_unprivileged_user_reads_but_cannot_reload(self):
        status = self.lab.lbctl("status", user=NOBODY)
        self.assertEqual(status.returncode, 0, status.stderr)
        pools = self.lab.lbctl("--json=short", "pools", user=NOBODY)
        self.assertEqual(pools.returncode, 0, pools.stderr)
        self.assertIn('"name":"web"', pools.stdout)
        # Every read-only method is open to anyone (lbctl peers was refused: ListBgpPeers, like
        # ListVips, GetLayer2 and GetRequestQueue, was missing from the policy).
        for verb in ("peers", "services", "status"):
            result = self.lab.lbctl("--json=short", verb, user=NOBODY)
            self.assertEqual(result.returncode, 0, verb + ": " + result.stderr)
        for method in ("ListVips", "GetLayer2", "GetFastFailover", "GetRequestQueue", "ListBgpPeers",
                       "ListBgpVips"):
            call = subprocess.run(NOBODY + ["busctl", "--address=" + self.lab.address, "call", "io.lbd1",
                                            "/io/lbd1", "io.lbd1.Manager", method],
                                  capture_output=True, text=True, timeout=10)
            self.assertEqual(call.returncode, 0, method + ": " + call.stderr)
        reload = self.lab.lbctl("reload", user=NOBODY)
        self.assertEqual(reload.returncode, 4)
        self.assertEqual(reload.stderr, "Failed to reload configuration: access denied (only root or members "
                                        "of group \"lbd\" may do this)\n")

    def test_group_lbd_and_root_may_reload(self):
        member = ["setpriv", "--reuid=65534", "--regid=65534", "--groups=%d" % self.lbd_gid]
        result = self.lab.lbctl("reload", user=member)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.lab.lbctl("reload").returncode, 0)

    def test_second_lbd_cannot_take_the_name(self):
        second = subprocess.run([self.lab.lbd.args[0], "--config", self.lab.config, "--bus", self.lab.address,
                                 "--log-target", "console"], capture_output=True, text=True, timeout=10)
        self.assertEqual(second.returncode, 1)
        self.assertIn("cannot take the bus name io.lbd1", second.stderr)


if __name__ == "__main__":
    unittest.main()
