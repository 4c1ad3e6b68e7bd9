// Object paths of io.lbd1.BgpPeer: any peer name from lbd.toml becomes a valid D-Bus object path
// (elements of [A-Za-z0-9_] only), distinct names stay distinct.
#include "io/bus/bgp_peer_bus.h"

#include <gtest/gtest.h>

namespace lbd::bus {
namespace {

TEST(BgpPeerObjectPath, EscapesWhatAnObjectPathCannotHold) {
  EXPECT_EQ(bgpPeerObjectPath("tor1"), "/io/lbd1/bgp/peer/tor1");
  EXPECT_EQ(bgpPeerObjectPath("tor-1.v6"), "/io/lbd1/bgp/peer/tor_2d1_2ev6");
  EXPECT_EQ(bgpPeerObjectPath("a_b"), "/io/lbd1/bgp/peer/a_5fb");  // '_' too, so no collisions
  EXPECT_EQ(bgpPeerObjectPath(""), "/io/lbd1/bgp/peer/_");
  EXPECT_NE(bgpPeerObjectPath("a-b"), bgpPeerObjectPath("a_2db"));
  // The D-Bus specification's rule for object paths: elements of [A-Za-z0-9_], none empty.
  for (const char* name : {"tor1", "tor-1.v6", "a_b", "", "\xc3\xbc", "a/b", " "}) {
    const std::string path = bgpPeerObjectPath(name);
    const std::string last = path.substr(path.rfind('/') + 1);
    EXPECT_FALSE(last.empty()) << name;
    for (const char c : last) {
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_')
          << name << " -> " << path;
    }
  }
}

}  // namespace
}  // namespace lbd::bus
