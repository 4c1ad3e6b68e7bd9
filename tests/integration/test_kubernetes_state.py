#!/usr/bin/python3
"""What lbd reports about the Kubernetes API before any cluster answers: credential problems and
an unreachable server are visible in lbctl status and on D-Bus, and lbd keeps serving."""
import socket
import unittest

from lbdlab import Lab, wait_for


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


class KubernetesState(unittest.TestCase):
    def setUp(self):
        self.lab = Lab().start_bus()

    def tearDown(self):
        self.lab.close()

    def test_not_configured(self):
        self.lab.write("lbd.toml", "")
        self.lab.start_lbd()
        status = self.lab.lbctl_json("status")
        self.assertEqual(status["kubernetes_state"], "not-configured")
        self.assertEqual(status["kubernetes_resources"], [])

    def test_missing_kubeconfig_is_reported_not_fatal(self):
        kubeconfig = self.lab.dir + "/kubeconfig"
        self.lab.write("lbd.toml", '[kubernetes]\nkubeconfig = "%s"\n' % kubeconfig)
        self.lab.start_lbd()
        status = self.lab.lbctl_json("status")
        self.assertEqual(status["kubernetes_state"], "failed")
        self.assertEqual(status["kubernetes_last_error"], kubeconfig + ": cannot read: No such file or directory")
        text = self.lab.lbctl("status").stdout
        self.assertIn("    Kubernetes: failed\n", text)
        self.assertIn("     API error: " + kubeconfig + ": cannot read: No such file or directory\n", text)

    def test_exec_plugin_kubeconfig_is_refused(self):
        kubeconfig = self.lab.write("kubeconfig", """
current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {exec: {command: /bin/true}}}]
""")
        self.lab.write("lbd.toml", '[kubernetes]\nkubeconfig = "%s"\n' % kubeconfig)
        self.lab.start_lbd()
        self.assertIn("exec credential plugins are not supported",
                      self.lab.lbctl_json("status")["kubernetes_last_error"])

    def test_unreachable_server_is_retried_and_visible(self):
        ca = self.lab.write("ca.crt", "")
        token = self.lab.write("token", "t0k\n")
        port = closed_port()
        self.lab.write("lbd.toml", '[kubernetes]\nserver = "https://127.0.0.1:%d"\nca-file = "%s"\n'
                       'token-file = "%s"\nconnect-timeout = "1s"\n' % (port, ca, token))
        self.lab.start_lbd()
        status = wait_for(lambda: (s := self.lab.lbctl_json("status"))["kubernetes_state"] == "retrying" and s,
                          what="state retrying")
        self.assertEqual(status["kubernetes_server"], "https://127.0.0.1:%d" % port)
        self.assertNotEqual(status["kubernetes_last_error"], "")
        self.assertEqual([r["resource"] for r in status["kubernetes_resources"]],
                         ["services", "endpointslices", "nodes", "leases", "namespaces"])
        for resource in status["kubernetes_resources"]:
            self.assertFalse(resource["synced"])
            self.assertEqual(resource["objects"], 0)
        # lbd itself is fine: the rest of the daemon keeps working while the API is down
        self.assertEqual(self.lab.lbctl("reload").returncode, 0)
        self.assertIsNone(self.lab.lbd.poll())


if __name__ == "__main__":
    unittest.main()
