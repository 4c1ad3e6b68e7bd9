// PacketSocket's refusals, in a private network namespace made for the test (unshare on a
// helper thread: the namespace holds only "lo", and the process stays where it was). Opening a
// packet socket needs CAP_NET_RAW; the test skips without it.
#include "io/raw/packet_socket.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <thread>

namespace lbd::raw {
namespace {

// Runs `open` for `interface` in a fresh network namespace and returns its error ("" on success).
std::string openInPrivateNamespace(const std::string& interface, bool* unshared) {
  std::string error;
  std::thread([&] {
    *unshared = ::unshare(CLONE_NEWNET) == 0;
    if (!*unshared) return;
    boost::asio::io_context io;
    auto socket = PacketSocket::open(io, interface);
    error = socket ? "" : socket.error().message;
  }).join();
  return error;
}

TEST(PacketSocket, RefusesWhatItCannotServe) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_RAW, CAP_SYS_ADMIN for unshare)";
  bool unshared = false;
  EXPECT_EQ(openInPrivateNamespace("lo", &unshared),
            "lo is not an Ethernet interface (ARP hardware type 772)");
  ASSERT_TRUE(unshared);
  EXPECT_EQ(openInPrivateNamespace("lbdnone0", &unshared),
            "Failed to find the interface on lbdnone0: No such device");
  EXPECT_EQ(openInPrivateNamespace("", &unshared), "\"\" is not a valid interface name");
  EXPECT_EQ(openInPrivateNamespace("a-name-far-too-long", &unshared),
            "\"a-name-far-too-long\" is not a valid interface name");
}

}  // namespace
}  // namespace lbd::raw
