#!/usr/bin/python3
"""sd_notify protocol, signals, exit codes and --check-config, without systemd: the test plays
the service manager's NOTIFY_SOCKET."""
import os
import signal
import socket
import subprocess
import time
import unittest

from lbdlab import LBCTL, LBD, Lab


class Notify(unittest.TestCase):
    def setUp(self):
        self.lab = Lab().start_bus()
        self.lab.write("lbd.toml", '[[pool]]\nname = "web"\naddresses = ["192.0.2.240/28"]\n')
        self.sock_path = os.path.join(self.lab.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.settimeout(5)

    def tearDown(self):
        self.sock.close()
        self.lab.close()

    def next_message(self):
        return dict(line.split("=", 1) for line in self.sock.recv(4096).decode().splitlines() if "=" in line)

    def wait_message(self, key):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message = self.next_message()
            if key in message:
                return message
        self.fail("no " + key)

    def test_ready_watchdog_reload_stopping(self):
        self.lab.start_lbd(extra_env={"NOTIFY_SOCKET": self.sock_path, "WATCHDOG_USEC": "200000"}, wait=False)
        ready = self.wait_message("READY")
        self.assertEqual(ready["READY"], "1")
        self.assertEqual(ready["STATUS"], "serving 1 pool; Kubernetes API not configured")
        # lbd must already answer on the bus when it says READY=1
        self.assertEqual(self.lab.lbctl("status").returncode, 0)
        watchdogs = 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if self.next_message().get("WATCHDOG") == "1":
                watchdogs += 1
        self.assertGreaterEqual(watchdogs, 5, "WATCHDOG=1 every 100 ms (half of WATCHDOG_USEC)")
        self.lab.lbd.send_signal(signal.SIGHUP)
        reloading = self.wait_message("RELOADING")
        self.assertEqual(reloading["RELOADING"], "1")
        self.assertIn("MONOTONIC_USEC", reloading)
        self.assertEqual(self.wait_message("READY")["READY"], "1")
        self.lab.lbd.send_signal(signal.SIGTERM)
        self.assertEqual(self.wait_message("STOPPING")["STOPPING"], "1")
        self.assertEqual(self.lab.lbd.wait(timeout=10), 0)

    def test_no_watchdog_unless_asked(self):
        self.lab.start_lbd(extra_env={"NOTIFY_SOCKET": self.sock_path}, wait=False)
        self.wait_message("READY")
        self.sock.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            while True:
                self.assertNotIn("WATCHDOG", self.next_message())


class ExitCodes(unittest.TestCase):
    def setUp(self):
        self.lab = Lab().start_bus()

    def tearDown(self):
        self.lab.close()

    def test_invalid_config_at_start_exits_6(self):
        path = self.lab.write("lbd.toml", '[[pool]]\nname = "a"\nadresses = ["192.0.2.0/28"]\n')
        result = subprocess.run([LBD, "--config", path, "--bus", self.lab.address, "--log-target", "console"],
                                capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 6)
        self.assertIn("error: " + path + ":1:1: pool[a].addresses: every pool needs addresses", result.stderr)
        self.assertIn("error: " + path + ":3:1: pool[a].adresses: unknown key (did you mean \"addresses\"?)",
                      result.stderr)

    def test_sigint_is_a_clean_stop(self):
        self.lab.write("lbd.toml", "")
        self.lab.start_lbd()
        self.lab.lbd.send_signal(signal.SIGINT)
        self.assertEqual(self.lab.lbd.wait(timeout=10), 0)

    def test_bad_command_line_exits_2(self):
        self.assertEqual(subprocess.run([LBD, "--log-level", "loud"], capture_output=True).returncode, 2)
        self.assertEqual(subprocess.run([LBD, "--frobnicate"], capture_output=True).returncode, 2)


class CheckConfig(unittest.TestCase):
    def setUp(self):
        self.lab = Lab()

    def tearDown(self):
        self.lab.close()

    def run_both(self, *args):
        lbd = subprocess.run([LBD, "--check-config", *args], capture_output=True, text=True)
        lbctl = subprocess.run([LBCTL, "check-config", "--config", *args], capture_output=True, text=True)
        return lbd, lbctl

    def test_valid(self):
        path = self.lab.write("lbd.toml", '[[pool]]\nname = "a"\naddresses = ["192.0.2.0/28"]\n')
        for result in self.run_both(path):
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout, path + ": configuration is valid (1 pool, 0 BGP peers)\n")
        also = subprocess.run([LBD, "--check-config", "--config", path], capture_output=True, text=True)
        self.assertEqual(also.returncode, 0)

    def test_invalid_lists_every_problem_and_exits_6(self):
        path = self.lab.write("lbd.toml", '[election]\nrenew-interval = "5s"\n')
        self.lab.write("pools.d/a.toml", '[[pool]]\nname = "a"\naddresses = ["192.0.2.300"]\n')
        for result in self.run_both(path):
            self.assertEqual(result.returncode, 6)
            self.assertEqual(result.stderr,
                             path + ":2:18: election.renew-interval: must be shorter than lease-duration (2s)\n" +
                             self.lab.dir + '/pools.d/a.toml:3:14: pool[a].addresses[0]: "192.0.2.300" is not a '
                             "valid IP address: octet 4 is greater than 255\n")

    def test_shipped_default_is_valid(self):
        etc = os.path.join(os.environ.get("LBD_SOURCE_DIR", "."), "etc", "lbd.toml")
        for result in self.run_both(etc):
            self.assertEqual(result.returncode, 0, result.stderr)


if __name__ == "__main__":
    unittest.main()
