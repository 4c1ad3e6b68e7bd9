#!/usr/bin/python3
"""lbd on a private system-like bus, read back through lbctl: every field of status and pools."""
import os
import re
import time
import unittest

from lbdlab import Lab

MAIN = """
[node]
name = "node-a"
[bgp]
asn = 65010
"""
POOLS = """
[[pool]]
name = "web"
mode = "layer2"
addresses = ["192.0.2.240/28", "2001:db8:1::/120"]

[[bgp.peer]]
name = "tor1"
address = "198.51.100.1"
asn = 65000

[[pool]]
name = "edge"
mode = "bgp"
addresses = ["198.51.100.64/26", "2001:db8:ffff::/64"]
"""


class DbusRoundTrip(unittest.TestCase):
    def setUp(self):
        self.lab = Lab().start_bus()
        self.lab.write("lbd.toml", MAIN)
        self.lab.write("pools.d/web.toml", POOLS)
        self.before = int(time.time() * 1e6)
        self.lab.start_lbd()

    def tearDown(self):
        self.lab.close()

    def test_status_json_has_every_field(self):
        status = self.lab.lbctl_json("status")
        self.assertEqual(set(status), {"version", "node", "config_path", "config_hash", "config_error",
                                       "config_loaded_at_usec", "started_at_usec", "kubernetes_state",
                                       "kubernetes_server", "kubernetes_last_error", "kubernetes_resources",
                                       "allocator_state", "allocator_holder", "api_requests", "layer2",
                                       "fast_failover"})
        self.assertIsNone(status["api_requests"])  # no cluster configured: no request queue
        self.assertIsNone(status["layer2"])
        self.assertIsNone(status["fast_failover"])  # no layer2 pools: no fast failover either
        self.assertEqual(status["version"], "0.1.0")
        self.assertEqual(status["node"], "node-a")
        self.assertEqual(status["config_path"], self.lab.config)
        self.assertRegex(status["config_hash"], r"^[0-9a-f]{64}$")
        self.assertEqual(status["config_error"], "")
        now = int(time.time() * 1e6)
        self.assertTrue(self.before - 1e6 <= status["started_at_usec"] <= now)
        self.assertTrue(status["started_at_usec"] <= status["config_loaded_at_usec"] <= now)
        self.assertEqual(status["kubernetes_state"], "not-configured")
        self.assertEqual(status["kubernetes_server"], "")
        self.assertEqual(status["kubernetes_last_error"], "")
        self.assertEqual(status["kubernetes_resources"], [])
        self.assertEqual(status["allocator_state"], "")  # no cluster, no allocator role
        self.assertEqual(status["allocator_holder"], "")

    def test_pools_json_exact(self):
        pools = self.lab.lbctl_json("pools")
        self.assertEqual(pools, [
            {"name": "web", "mode": "layer2", "families": ["ipv4", "ipv6"], "size": 272, "used": 0,
             "free": 272, "ranges": ["192.0.2.240/28", "2001:db8:1::/120"],
             "usage": [{"family": "ipv4", "size": 16, "used": 0, "free": 16},
                       {"family": "ipv6", "size": 256, "used": 0, "free": 256}]},
            # 64 + 2^64 does not fit in 64 bits: a floating-point number
            {"name": "edge", "mode": "bgp", "families": ["ipv4", "ipv6"], "size": float(64 + 2**64), "used": 0,
             "free": float(64 + 2**64), "ranges": ["198.51.100.64/26", "2001:db8:ffff::/64"],
             "usage": [{"family": "ipv4", "size": 64, "used": 0, "free": 64},
                       {"family": "ipv6", "size": float(2**64), "used": 0, "free": float(2**64)}]},
        ])
        self.assertIsInstance(pools[1]["size"], float)

    def test_pools_table(self):
        result = self.lab.lbctl("pools")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout,
                         "name mode   family size used free ranges\n"
                         "web  layer2 ipv4     16    0   16 192.0.2.240/28\n"
                         "web  layer2 ipv6    256    0  256 2001:db8:1::/120\n"
                         "edge bgp    ipv4     64    0   64 198.51.100.64/26\n"
                         "edge bgp    ipv6   2^64    0 2^64 2001:db8:ffff::/64\n"
                         "\n2 pools listed.\n")
        bare = self.lab.lbctl("--no-legend", "pools")
        self.assertEqual(bare.stdout.splitlines()[0].split()[0], "web")
        self.assertNotIn("listed", bare.stdout)

    def test_status_table(self):
        result = self.lab.lbctl("status")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "       Version: 0.1.0")
        self.assertIn("          Node: node-a", lines)
        self.assertIn("  Config error: -", lines)
        self.assertIn("    Kubernetes: not configured", lines)
        self.assertTrue(any(re.match(r"^       Started: \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+s ago\)$", l)
                            for l in lines), lines)

    def test_hash_changes_with_values_not_comments(self):
        first = self.lab.lbctl_json("status")["config_hash"]
        self.lab.write("lbd.toml", "# a comment\n" + MAIN)
        self.assertEqual(self.lab.lbctl("reload").returncode, 0)
        self.assertEqual(self.lab.lbctl_json("status")["config_hash"], first)
        self.lab.write("lbd.toml", MAIN.replace("node-a", "node-b"))
        self.assertEqual(self.lab.lbctl("reload").returncode, 0)
        status = self.lab.lbctl_json("status")
        self.assertNotEqual(status["config_hash"], first)
        self.assertEqual(status["node"], "node-b")


if __name__ == "__main__":
    unittest.main()
