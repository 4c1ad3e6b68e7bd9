// Runs the kernel BPF filter of the packet socket on captured frames without privileges or a
// network: a filter attached to one end of an AF_UNIX datagram socket pair sees each datagram
// as a frame, exactly as it would on the packet socket (there, packet type and VLAN tag come
// from the interface; here they read as "to us" and "untagged").
#include "io/raw/packet_filter.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "../../support/pcap_file.h"

namespace lbd::raw {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::l2Capture;

class FilteredPair {
 public:
  FilteredPair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds_), 0);
    auto program = neighborDiscoveryFilter();
    const sock_fprog filter{static_cast<unsigned short>(program.size()), program.data()};
    EXPECT_EQ(::setsockopt(fds_[1], SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof filter), 0)
        << std::strerror(errno);
  }
  ~FilteredPair() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  /// The bytes the filter lets through, or nullopt when it drops the frame.
  std::optional<Bytes> pass(const Bytes& frame) {
    EXPECT_EQ(::send(fds_[0], frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
    Bytes buffer(8192);
    const ssize_t n = ::recv(fds_[1], buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }

 private:
  int fds_[2] = {-1, -1};
};

TEST(PacketFilter, AcceptsArpAndNeighborDiscovery) {
  FilteredPair pair;
  for (const char* file :
       {"arp-request-reply.pcap", "arp-probe.pcap", "arp-gratuitous-reply.pcap", "ndp-ns-na.pcap",
        "ndp-dad.pcap", "ndp-unicast-ns.pcap", "ndp-unsolicited-na.pcap"}) {
    for (const auto& frame : l2Capture(file)) {
      const auto passed = pair.pass(frame);
      ASSERT_TRUE(passed) << file;
      EXPECT_EQ(*passed, frame) << file;
    }
  }
}

TEST(PacketFilter, DropsEverythingElse) {
  FilteredPair pair;
  for (const char* file : {"ipv6-echo.pcap", "ipv6-mld-report.pcap"}) {
    for (const auto& frame : l2Capture(file))
      EXPECT_FALSE(pair.pass(frame)) << file;
  }
  const Bytes ns = l2Capture("ndp-ns-na.pcap")[0];
  // NS behind a Hop-by-Hop header: documented as dropped.
  Bytes after_extension = ns;
  after_extension[20] = 0;  // next header: Hop-by-Hop
  const Bytes hop_by_hop{58, 0, 1, 4, 0, 0, 0, 0};
  after_extension.insert(after_extension.begin() + 54, hop_by_hop.begin(), hop_by_hop.end());
  EXPECT_FALSE(pair.pass(after_extension));
  // Cut before the ICMPv6 type: the load past the end drops it.
  EXPECT_FALSE(pair.pass(Bytes(ns.begin(), ns.begin() + 54)));
  EXPECT_TRUE(pair.pass(Bytes(ns.begin(), ns.begin() + 55)));  // the decoder rejects this one
  // An in-band 802.1Q tag (Linux moves tags to metadata, so this is a second, inner tag).
  Bytes tagged = l2Capture("arp-request-reply.pcap")[0];
  const Bytes tag{0x81, 0x00, 0x00, 0x64};
  tagged.insert(tagged.begin() + 12, tag.begin(), tag.end());
  EXPECT_FALSE(pair.pass(tagged));
  Bytes lldp = l2Capture("arp-request-reply.pcap")[0];
  lldp[12] = 0x88;
  lldp[13] = 0xcc;
  EXPECT_FALSE(pair.pass(lldp));
  EXPECT_FALSE(pair.pass(Bytes(13, 0)));
  // ICMPv6 other than NS/NA in the right place: a router solicitation (133).
  Bytes router_solicitation = ns;
  router_solicitation[54] = 133;
  EXPECT_FALSE(pair.pass(router_solicitation));
}

TEST(PacketFilter, TruncatesToTheSnapLength) {
  FilteredPair pair;
  Bytes big = l2Capture("arp-request-reply.pcap")[0];
  big.resize(6000, 0xee);
  const auto passed = pair.pass(big);
  ASSERT_TRUE(passed);
  EXPECT_EQ(passed->size(), kPacketSnapLength);
}

}  // namespace
}  // namespace lbd::raw
