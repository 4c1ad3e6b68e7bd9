#!/usr/bin/python3
"""Reloads: a good file is swapped in; a bad file keeps the old config and shows why, both via
lbctl reload (D-Bus) and via SIGHUP (systemctl reload)."""
import signal
import subprocess
import unittest

from lbdlab import Lab, wait_for

GOOD = '[[pool]]\nname = "web"\naddresses = ["192.0.2.240/28"]\n'
BAD = '[[pool]]\nname = "web"\naddresses = ["192.0.2.300/28"]\n'
BAD_MESSAGE = 'lbd.toml:3:14: pool[web].addresses[0]: "192.0.2.300" is not a valid IP address: octet 4 is greater than 255'


class Reload(unittest.TestCase):
    def setUp(self):
        self.lab = Lab().start_bus()
        self.lab.write("lbd.toml", GOOD)
        self.lab.start_lbd()

    def tearDown(self):
        self.lab.close()

    def pool_names(self):
        return [p["name"] for p in self.lab.lbctl_json("pools")]

    def test_good_reload_via_lbctl(self):
        self.lab.write("pools.d/edge.toml", '[[pool]]\nname = "edge"\naddresses = ["198.51.100.0/30"]\n')
        result = self.lab.lbctl("reload")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.pool_names(), ["web", "edge"])

    def test_bad_reload_via_lbctl_keeps_old_config(self):
        hash_before = self.lab.lbctl_json("status")["config_hash"]
        self.lab.write("lbd.toml", BAD)
        result = self.lab.lbctl("reload")
        self.assertEqual(result.returncode, 6)
        self.assertEqual(result.stderr,
                         "Failed to reload configuration: the configuration is invalid, the previous one "
                         "stays in force:\n" + self.lab.dir + "/" + BAD_MESSAGE + "\n")
        self.assertEqual(self.pool_names(), ["web"])
        status = self.lab.lbctl_json("status")
        self.assertEqual(status["config_error"], self.lab.dir + "/" + BAD_MESSAGE)
        self.assertEqual(status["config_hash"], hash_before)
        self.assertIn(BAD_MESSAGE, self.lab.log())
        # fixing the file clears the error
        self.lab.write("lbd.toml", GOOD.replace("/28", "/29"))
        self.assertEqual(self.lab.lbctl("reload").returncode, 0)
        status = self.lab.lbctl_json("status")
        self.assertEqual(status["config_error"], "")
        self.assertNotEqual(status["config_hash"], hash_before)
        self.assertEqual(self.lab.lbctl_json("pools")[0]["size"], 8)

    def test_bad_reload_via_sighup_keeps_old_config(self):
        self.lab.write("lbd.toml", BAD)
        self.lab.lbd.send_signal(signal.SIGHUP)
        status = wait_for(lambda: (s := self.lab.lbctl_json("status"))["config_error"] and s,
                          what="ConfigError after SIGHUP")
        self.assertEqual(status["config_error"], self.lab.dir + "/" + BAD_MESSAGE)
        self.assertEqual(self.pool_names(), ["web"])
        self.assertIsNone(self.lab.lbd.poll(), "a bad reload must not stop lbd")
        self.lab.write("lbd.toml", GOOD)
        self.lab.lbd.send_signal(signal.SIGHUP)
        wait_for(lambda: self.lab.lbctl_json("status")["config_error"] == "", what="error cleared")

    def test_reload_emits_properties_changed(self):
        # gdbus monitor subscribes with AddMatch, as any client watching lbd would.
        monitor = subprocess.Popen(["gdbus", "monitor", "--address", self.lab.address, "--dest", "io.lbd1",
                                    "--object-path", "/io/lbd1"], stdout=subprocess.PIPE, text=True)
        try:
            self.assertIn("Monitoring signals", monitor.stdout.readline())
            self.lab.write("lbd.toml", BAD)
            self.assertEqual(self.lab.lbctl("reload").returncode, 6)
            line = wait_for(lambda: (l := monitor.stdout.readline()) and "PropertiesChanged" in l and l,
                            what="PropertiesChanged")
            self.assertIn("'io.lbd1.Manager'", line)
            self.assertIn("'ConfigError': <'" + self.lab.dir + "/" + BAD_MESSAGE, line)
        finally:
            monitor.terminate()
            monitor.wait()
            monitor.stdout.close()

    def test_unreadable_pools_file_is_a_reload_error(self):
        import os
        os.mkdir(os.path.join(self.lab.dir, "pools.d", "dir.toml"))  # a directory named *.toml is skipped
        self.assertEqual(self.lab.lbctl("reload").returncode, 0)
        self.lab.write("pools.d/x.toml", "[[pool]\n")
        result = self.lab.lbctl("reload")
        self.assertEqual(result.returncode, 6)
        self.assertIn("pools.d/x.toml:1:8: TOML syntax error", result.stderr)


if __name__ == "__main__":
    unittest.main()
