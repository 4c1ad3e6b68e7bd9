"""A hermetic lab for lbd's integration tests: a temp dir, a private dbus-daemon that behaves
like the system bus (deny-by-default, with the project's real io.lbd1.conf policy), an lbd
started on it, and helpers to run lbctl. Nothing touches the host's system bus.

Binary paths come from the environment CTest sets: LBD_BIN, LBCTL_BIN, LBD_SOURCE_DIR.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

LBD = os.environ.get("LBD_BIN", "lbd")
LBCTL = os.environ.get("LBCTL_BIN", "lbctl")
SOURCE_DIR = os.environ.get("LBD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Peer"/>
  </policy>
  <include>{policy}</include>
</busconfig>
"""


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Lab:
    """One temp dir + bus; start()/stop() lbd as often as a test needs."""

    def __init__(self, wrap=()):
        # wrap: argv prefix for lbd, e.g. ("ip", "netns", "exec", NS) to run it in a namespace
        # (l2lab's hosts); the bus and lbctl stay in the root namespace, reached by socket path.
        self.wrap = list(wrap)
        self.dir = tempfile.mkdtemp(prefix="lbd-it-")
        os.chmod(self.dir, 0o755)  # the unprivileged user of the policy tests must reach the socket
        self.socket = os.path.join(self.dir, "bus")
        self.address = "unix:path=" + self.socket
        self.config = os.path.join(self.dir, "lbd.toml")
        os.mkdir(os.path.join(self.dir, "pools.d"))
        self.bus = None
        self.lbd = None
        self.lbd_log = None

    # --- bus ---
    def start_bus(self):
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONFIG.format(socket=self.socket,
                                      policy=os.path.join(SOURCE_DIR, "dbus", "io.lbd1.conf")))
        self.bus_log = open(os.path.join(self.dir, "bus.log"), "w")
        self.bus = subprocess.Popen(["dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile",
                                     "--print-address"], stdout=subprocess.PIPE, stderr=self.bus_log)
        self.bus.stdout.readline()  # the address: the bus is listening
        return self

    # --- files ---
    def write(self, relative, text):
        path = os.path.join(self.dir, relative)
        with open(path, "w") as f:
            f.write(text)
        return path

    # --- lbd ---
    def start_lbd(self, extra_env=None, wait=True):
        self.lbd_log = open(os.path.join(self.dir, "lbd.log"), "w+")
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env.pop("WATCHDOG_USEC", None)
        env.update(extra_env or {})
        self.lbd = subprocess.Popen(self.wrap + [LBD, "--config", self.config, "--bus", self.address,
                                     "--log-target", "console"], stderr=self.lbd_log, env=env)
        if wait:
            wait_for(lambda: self.lbd.poll() is not None or self.lbctl("status").returncode == 0,
                     what="lbd on the bus")
            assert self.lbd.poll() is None, "lbd exited: " + self.log()
        return self.lbd

    def stop_lbd(self):
        if self.lbd and self.lbd.poll() is None:
            self.lbd.send_signal(signal.SIGTERM)
            try:
                self.lbd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.lbd.kill()
                self.lbd.wait()
        return self.lbd.returncode if self.lbd else None

    def log(self):
        if not self.lbd_log:
            return ""
        self.lbd_log.flush()
        with open(self.lbd_log.name) as f:
            return f.read()

    # --- lbctl ---
    def lbctl(self, *args, user=None):
        command = list(user or []) + [LBCTL, "--bus", self.address, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=30)

    def lbctl_json(self, *args):
        result = self.lbctl("--json=short", *args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def close(self):
        self.stop_lbd()
        if self.bus:
            self.bus.terminate()
            self.bus.wait()
            self.bus.stdout.close()
            self.bus_log.close()
        if self.lbd_log:
            self.lbd_log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
