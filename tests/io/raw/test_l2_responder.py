"""lbd's ARP/NDP responder (io/raw, run by lbd_l2_responder_probe) against real neighbours:
iputils arping, ndisc6, the Linux kernel's own neighbour resolution, DAD and ARP probes, and
hand-made frames from scapy, over a veth pair between two network namespaces the test creates
and deletes itself:

    lbdrawR (responder)  vR 02:00:00:00:0d:01  192.0.2.1/24  2001:db8::1/64
    lbdrawC (client)     vC 02:00:00:00:0d:02  192.0.2.2/24  2001:db8::2/64

The VIPs 192.0.2.10 and 2001:db8::10 are on no interface: only the responder answers for them.
Nothing is added to the root namespace. Needs root, iproute2, tcpdump, iputils-arping,
iputils-ping, ndisc6 and python3-scapy. Binary: LBD_L2_PROBE (set by CTest).
"""
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import unittest

PROBE = os.environ.get("LBD_L2_PROBE", "lbd_l2_responder_probe")
FRAMES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "l2_frames.py")
R, C = "lbdrawR", "lbdrawC"
MAC_R, MAC_C = "02:00:00:00:0d:01", "02:00:00:00:0d:02"
IP_C, IP6_C = "192.0.2.2", "2001:db8::2"
VIP, VIP6 = "192.0.2.10", "2001:db8::10"
OTHER, OTHER6 = "192.0.2.11", "2001:db8::11"


def sh(*args, check=True, timeout=30):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}): "
                             f"{result.stdout}{result.stderr}")
    return result


def in_ns(ns, *args, **kwargs):
    return sh("ip", "netns", "exec", ns, *args, **kwargs)


def wait_for(predicate, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def lab_down():
    for ns in (R, C):
        sh("ip", "netns", "del", ns, check=False)


def lab_up():
    lab_down()
    for ns in (R, C):
        sh("ip", "netns", "add", ns)
        # No DAD on any address (link-locals included) unless a test turns it on.
        in_ns(ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0",
              "net.ipv6.conf.all.accept_dad=0")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "link", "add", "vR", "netns", R, "address", MAC_R, "type", "veth",
       "peer", "name", "vC", "netns", C, "address", MAC_C)
    sh("ip", "-n", R, "addr", "add", "192.0.2.1/24", "dev", "vR")
    sh("ip", "-n", C, "addr", "add", IP_C + "/24", "dev", "vC")
    sh("ip", "-n", R, "-6", "addr", "add", "2001:db8::1/64", "dev", "vR", "nodad")
    sh("ip", "-n", C, "-6", "addr", "add", IP6_C + "/64", "dev", "vC", "nodad")
    # Quick neighbour unreachability detection in the client, so its kernel sends a unicast NS
    # within seconds of an entry going stale.
    in_ns(C, "sysctl", "-qw", "net.ipv6.neigh.vC.base_reachable_time_ms=300",
          "net.ipv6.neigh.vC.delay_first_probe_time=1",
          "net.ipv4.neigh.vC.base_reachable_time_ms=300")
    for ns, dev in ((R, "vR"), (C, "vC")):
        sh("ip", "-n", ns, "link", "set", dev, "up")
    for ns, dev in ((R, "vR"), (C, "vC")):
        wait_for(lambda: "LOWER_UP" in sh("ip", "-n", ns, "link", "show", "dev", dev).stdout,
                 what=f"carrier on {dev}")


class Capture:
    """tcpdump in the client namespace; text lines of `tcpdump -nn -e -v`."""

    def __init__(self, bpf):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", C, "tcpdump", "-i", "vC", "-nn", "-e", "-v", "-l",
             "--immediate-mode", bpf],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err = []
        wait_for(self._listening, what="tcpdump listening")

    def _listening(self):
        line = self.proc.stderr.readline()
        self.err.append(line)
        return "listening on" in line

    def stop(self, settle=0.3):
        time.sleep(settle)
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=5)
        # -v puts options on continuation lines: join them to their frame.
        frames = []
        for line in out.splitlines():
            if line.startswith((" ", "\t")) and frames:
                frames[-1] += " " + line.strip()
            elif line:
                frames.append(line)
        return frames


class Probe:
    def __init__(self, *owned):
        self.proc = subprocess.Popen(["ip", "netns", "exec", R, PROBE, "vR", *owned],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.replies = queue.Queue()
        self.events = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(10):
            self.proc.kill()
            raise AssertionError("probe not ready: " + self.proc.stderr.read())

    def _read(self):
        for line in self.proc.stdout:
            message = json.loads(line)
            if "event" in message:
                self.events.append(message)
                if message["event"] == "ready":
                    self.ready_line = message
                    self.ready.set()
            else:
                self.replies.put(message)

    def call(self, **command):
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self.replies.get(timeout=5)

    def counters(self):
        return self.call(op="counters")

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode


def frames(*args, timeout=10):
    out = in_ns(C, "/usr/bin/python3", FRAMES, *args, timeout=timeout).stdout
    return json.loads(out.strip().splitlines()[-1])


class L2ResponderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            lab_up()
            cls.probe = Probe(VIP, VIP6)
        except BaseException:
            lab_down()  # tearDownClass does not run when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        # Stop the probe before deleting its namespace (RECIPES 2.1: a deleted netns lives on
        # while a process is in it).
        rc = cls.probe.stop()
        lab_down()
        assert rc == 0, f"probe exited {rc}"

    def setUp(self):
        # Entries the client's kernel keeps confirming (unicast ARP/NS) would add traffic.
        for family in ("-4", "-6"):
            sh("ip", "-n", C, family, "neigh", "flush", "dev", "vC", check=False)
        self.assertEqual(self.probe.call(op="own", addresses=[VIP, VIP6]), {"ok": True})
        self.before = self.probe.counters()

    def delta(self, name):
        return self.probe.counters()[name] - self.before[name]

    def test_ready_with_the_interface_mac(self):
        self.assertEqual(self.probe.ready_line, {"event": "ready", "interface": "vR", "mac": MAC_R})

    def test_arping_owned_gets_exactly_one_reply_with_our_mac(self):
        capture = Capture("arp")
        result = in_ns(C, "arping", "-c", "1", "-w", "2", "-I", "vC", VIP, check=False)
        lines = capture.stop()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(f"Unicast reply from {VIP} [{MAC_R.upper()}]", result.stdout)
        self.assertIn("Received 1 response(s)", result.stdout)
        replies = [line for line in lines if "Reply" in line]
        self.assertEqual(len(replies), 1, lines)
        self.assertIn(f"{MAC_R} > {MAC_C}", replies[0])
        self.assertIn(f"Reply {VIP} is-at {MAC_R}", replies[0])
        self.assertEqual(self.delta("requests_seen"), 1)
        self.assertEqual(self.delta("requests_for_owned"), 1)
        self.assertEqual(self.delta("replies_sent"), 1)

    def test_arping_not_owned_gets_no_reply(self):
        capture = Capture("arp")
        result = in_ns(C, "arping", "-c", "1", "-w", "1", "-I", "vC", OTHER, check=False)
        lines = capture.stop()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Received 0 response(s)", result.stdout)
        self.assertEqual([line for line in lines if "Reply" in line], [])
        self.assertEqual(self.delta("requests_seen"), 1)
        self.assertEqual(self.delta("replies_sent"), 0)

    def test_ndisc6_owned_and_not_owned(self):
        result = in_ns(C, "ndisc6", "-1", "-r", "2", "-w", "1000", VIP6, "vC", check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(f"Target link-layer address: {MAC_R.upper()}", result.stdout)
        self.assertIn(f"from {VIP6}", result.stdout)
        result = in_ns(C, "ndisc6", "-1", "-r", "1", "-w", "500", OTHER6, "vC", check=False)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertEqual(self.delta("requests_seen"), 2)
        self.assertEqual(self.delta("replies_sent"), 1)

    def neighbour(self, family, address):
        return sh("ip", "-n", C, family, "neigh", "show", address, "dev", "vC").stdout.strip()

    def test_kernel_resolves_the_vips(self):
        for family, vip in (("-4", VIP), ("-6", VIP6)):
            sh("ip", "-n", C, family, "neigh", "flush", "dev", "vC", check=False)
            # The VIP is on no interface, so the echo goes unanswered; resolution is the point.
            in_ns(C, "ping", family, "-c", "1", "-W", "1", vip, check=False)
            entry = self.neighbour(family, vip)
            self.assertIn(f"lladdr {MAC_R}", entry)
            self.assertRegex(entry, r"REACHABLE|STALE|DELAY|PROBE")

    def test_unicast_ns_from_the_kernel_is_answered(self):
        # Neighbour unreachability detection: with the entry in use and its reachable time
        # short, the client's kernel keeps confirming it with unicast NS to our MAC (DELAY,
        # PROBE); answered, the entry returns to REACHABLE and no multicast NS is needed.
        sh("ip", "-n", C, "-6", "neigh", "flush", "dev", "vC", check=False)
        in_ns(C, "ping", "-6", "-c", "1", "-W", "1", VIP6, check=False)
        capture = Capture("icmp6 and (ip6[40] == 135 or ip6[40] == 136)")
        in_ns(C, "ping", "-6", "-c", "4", "-i", "0.6", "-W", "1", VIP6, check=False)
        lines = capture.stop(settle=1.5)
        unicast_ns = [l for l in lines if "neighbor solicitation" in l and f"> {MAC_R}" in l]
        multicast_ns = [l for l in lines if "neighbor solicitation" in l and "> 33:33:" in l]
        answers = [l for l in lines if "neighbor advertisement" in l and f"{VIP6} >" in l]
        self.assertTrue(unicast_ns, lines)
        self.assertIn(f"who has {VIP6}", unicast_ns[0])
        self.assertEqual(multicast_ns, [], lines)
        self.assertGreaterEqual(len(answers), len(unicast_ns), lines)
        self.assertIn(f"{MAC_R} > {MAC_C}", answers[0])
        self.assertIn("Flags [solicited, override]", answers[0])
        self.assertIn(f"destination link-address option (2), length 8 (1): {MAC_R}", answers[0])
        entry = self.neighbour("-6", VIP6)
        self.assertIn(f"lladdr {MAC_R}", entry)
        self.assertNotRegex(entry, "FAILED|INCOMPLETE")

    def test_unicast_ns_without_source_option_is_answered_to_the_sender(self):
        answer = frames("ns", "vC", "--eth-src", MAC_C, "--eth-dst", MAC_R, "--src", IP6_C,
                        "--dst", VIP6, "--target", VIP6, "--sll", "none", "--wait", "2")
        self.assertTrue(answer["answered"], answer)
        self.assertEqual(answer["eth_src"], MAC_R)
        self.assertEqual(answer["eth_dst"], MAC_C)
        self.assertEqual((answer["src"], answer["dst"], answer["hlim"]), (VIP6, IP6_C, 255))
        self.assertEqual((answer["R"], answer["S"], answer["O"]), (0, 1, 1))
        self.assertEqual(answer["tll"], MAC_R)

    def test_announce_sends_one_gratuitous_arp_and_one_unsolicited_na(self):
        capture = Capture(f"ether src {MAC_R} and (arp or icmp6)")
        self.assertEqual(self.probe.call(op="announce", address=VIP), {"ok": True})
        self.assertEqual(self.probe.call(op="announce", address=VIP6), {"ok": True})
        lines = capture.stop()
        garp = [l for l in lines if "ARP" in l]
        na = [l for l in lines if "neighbor advertisement" in l]
        self.assertEqual(len(garp), 1, lines)
        self.assertIn(f"{MAC_R} > ff:ff:ff:ff:ff:ff", garp[0])
        self.assertIn(f"Request who-has {VIP} tell {VIP}", garp[0])
        self.assertEqual(len(na), 1, lines)
        self.assertIn(f"{MAC_R} > 33:33:00:00:00:01", na[0])
        self.assertIn("hlim 255", na[0])
        self.assertIn(f"{VIP6} > ff02::1", na[0])
        self.assertIn("[icmp6 sum ok]", na[0])
        self.assertIn(f"tgt is {VIP6}, Flags [override]", na[0])
        self.assertIn(f"destination link-address option (2), length 8 (1): {MAC_R}", na[0])
        self.assertEqual(self.delta("announcements_sent"), 2)
        self.assertEqual(self.delta("own_frames"), 0)  # our own frames never come back to us
        # Not owned: refused, nothing sent.
        reply = self.probe.call(op="announce", address=OTHER)
        self.assertFalse(reply["ok"])
        self.assertIn("not an owned address", reply["error"])

    def test_peers_that_accept_announcements_learn_the_mac(self):
        in_ns(C, "sysctl", "-qw", "net.ipv4.conf.vC.arp_accept=1",
              "net.ipv6.conf.vC.forwarding=1", "net.ipv6.conf.vC.accept_untracked_na=1")
        try:
            for family, vip in (("-4", VIP), ("-6", VIP6)):
                sh("ip", "-n", C, family, "neigh", "flush", "dev", "vC", check=False)
                self.assertEqual(self.neighbour(family, vip), "")
                self.assertEqual(self.probe.call(op="announce", address=vip), {"ok": True})
                wait_for(lambda: f"lladdr {MAC_R}" in self.neighbour(family, vip),
                         what=f"{vip} learnt from the announcement")
        finally:
            in_ns(C, "sysctl", "-qw", "net.ipv4.conf.vC.arp_accept=0",
                  "net.ipv6.conf.vC.forwarding=0", "net.ipv6.conf.vC.accept_untracked_na=0")

    def test_probes_for_owned_addresses_are_defended(self):
        # RFC 5227 probe from arping -D: a reply means "in use" (arping exits 1).
        result = in_ns(C, "arping", "-D", "-c", "1", "-w", "2", "-I", "vC", VIP, check=False)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn(f"Unicast reply from {VIP} [{MAC_R.upper()}]", result.stdout)
        # RFC 4862 DAD by the client's kernel for an address we own: it must fail.
        in_ns(C, "sysctl", "-qw", "net.ipv6.conf.vC.accept_dad=1")
        try:
            sh("ip", "-n", C, "-6", "addr", "add", VIP6 + "/64", "dev", "vC")
            wait_for(lambda: "dadfailed" in sh("ip", "-n", C, "-6", "addr", "show", "dev", "vC",
                                                 "to", VIP6).stdout,
                     timeout=10, what="DAD to fail for the VIP")
        finally:
            sh("ip", "-n", C, "-6", "addr", "del", VIP6 + "/64", "dev", "vC", check=False)
            in_ns(C, "sysctl", "-qw", "net.ipv6.conf.vC.accept_dad=0")
        self.assertEqual(self.delta("requests_for_owned"), 2)
        self.assertEqual(self.delta("conflicts_seen"), 0)  # probing is not claiming

    def test_conflicts_are_reported(self):
        events_before = len(self.probe.events)
        in_ns(C, "sysctl", "-qw", "net.ipv4.ip_nonlocal_bind=1")
        try:  # a gratuitous ARP for our VIP from the client (RECIPES 2.3)
            in_ns(C, "arping", "-U", "-c", "1", "-I", "vC", VIP, check=False)
        finally:
            in_ns(C, "sysctl", "-qw", "net.ipv4.ip_nonlocal_bind=0")
        frames("na", "vC", "--eth-src", MAC_C, "--target", VIP6)
        wait_for(lambda: len(self.probe.events) >= events_before + 2, what="conflict events")
        self.assertEqual(self.probe.events[events_before:events_before + 2], [
            {"event": "conflict", "ip": VIP, "mac": MAC_C},
            {"event": "conflict", "ip": VIP6, "mac": MAC_C},
        ])
        self.assertEqual(self.delta("conflicts_seen"), 2)
        self.assertEqual(self.delta("replies_sent"), 0)

    def test_malformed_frames_are_counted_and_dropped(self):
        # What an answer to one of these would look like: an NA or ARP reply to the client.
        capture = Capture(f"ether src {MAC_R} and ((arp and arp[6:2] == 2) or "
                          f"(icmp6 and ip6[40] == 136 and ip6 dst {IP6_C}))")
        group = "33:33:ff:00:00:10"
        ns = ("ns", "vC", "--eth-src", MAC_C, "--eth-dst", group, "--src", IP6_C,
              "--dst", "ff02::1:ff00:10", "--target", VIP6)
        frames(*ns, "--hlim", "64")  # RFC 4861 7.1.1: not from on-link
        frames(*ns, "--bad-checksum")
        frames("arp", "vC", "--eth-src", MAC_C, "--op", "1", "--psrc", IP_C, "--pdst", VIP,
               "--hwtype", "6")  # IEEE 802, not Ethernet
        wait_for(lambda: self.delta("malformed_dropped") >= 3, what="3 malformed frames")
        lines = capture.stop()
        self.assertEqual(lines, [], "\n".join(lines))  # nothing answered
        self.assertEqual(self.delta("malformed_dropped"), 3)
        self.assertEqual(self.delta("replies_sent"), 0)
        # The control: the same NS, well-formed, is answered.
        frames(*ns)
        wait_for(lambda: self.delta("replies_sent") == 1, what="the valid NS answered")

    def test_filter_keeps_other_traffic_out(self):
        # Echo requests to the VIPs reach the interface but not the responder.
        for family, vip in (("-4", VIP), ("-6", VIP6)):
            in_ns(C, "ping", family, "-c", "3", "-i", "0.2", "-W", "1", vip, check=False)
        after = self.probe.counters()
        self.assertEqual(after["ignored"], self.before["ignored"])
        self.assertEqual(after["malformed_dropped"], self.before["malformed_dropped"])

    def test_solicited_node_groups_follow_the_owned_set(self):
        def groups():
            return sh("ip", "-n", R, "maddr", "show", "dev", "vR").stdout

        self.assertIn("33:33:ff:00:00:10", groups())
        self.assertEqual(self.probe.counters()["groups"], ["33:33:ff:00:00:10"])
        self.assertEqual(self.probe.call(op="own", addresses=[VIP]), {"ok": True})
        self.assertNotIn("33:33:ff:00:00:10", groups())
        result = in_ns(C, "ndisc6", "-1", "-r", "1", "-w", "500", VIP6, "vC", check=False)
        self.assertEqual(result.returncode, 2, result.stdout)  # no longer ours: unanswered
        self.assertEqual(self.probe.call(op="own", addresses=[VIP, VIP6, "2001:db8:1::10"]),
                         {"ok": True})
        self.assertEqual(self.probe.counters()["groups"], ["33:33:ff:00:00:10"])
        self.assertIn("33:33:ff:00:00:10", groups())


if __name__ == "__main__":
    unittest.main()
