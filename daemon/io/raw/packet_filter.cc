#include "io/raw/packet_filter.h"

#include <linux/if_ether.h>
#include <linux/if_packet.h>

namespace lbd::raw {
namespace {

constexpr std::uint32_t kIcmpv6 = 58;
constexpr std::uint32_t kNeighborSolicitation = 135;
constexpr std::uint32_t kNeighborAdvertisement = 136;
// Offsets in an untagged Ethernet frame.
constexpr std::uint32_t kEtherTypeOffset = 12;
constexpr std::uint32_t kIpv6NextHeaderOffset = 14 + 6;
constexpr std::uint32_t kIcmpv6TypeOffset = 14 + 40;

sock_filter statement(std::uint16_t code, std::uint32_t k) {
  return BPF_STMT(code, k);
}
sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t if_true, std::uint8_t if_false) {
  return BPF_JUMP(code, k, if_true, if_false);
}

}  // namespace

std::vector<sock_filter> neighborDiscoveryFilter() {
  // Jump offsets count instructions to skip; kDrop and kAccept are the last two.
  // A load past the end of the frame ends the program with "drop", so short frames are safe.
  const std::vector<sock_filter> program = {
      /*  0 */ statement(BPF_LD | BPF_W | BPF_ABS,
                         static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE)),
      /*  1 */ jump(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 12, 0),
      /*  2 */ jump(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OTHERHOST, 11, 0),
      /*  3 */
      statement(BPF_LD | BPF_W | BPF_ABS, static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_VLAN_TAG)),
      /*  4 */ statement(BPF_ALU | BPF_AND | BPF_K, 0x0fff),
      /*  5 */ jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 8),
      /*  6 */ statement(BPF_LD | BPF_H | BPF_ABS, kEtherTypeOffset),
      /*  7 */ jump(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 7, 0),
      /*  8 */ jump(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 5),
      /*  9 */ statement(BPF_LD | BPF_B | BPF_ABS, kIpv6NextHeaderOffset),
      /* 10 */ jump(BPF_JMP | BPF_JEQ | BPF_K, kIcmpv6, 0, 3),
      /* 11 */ statement(BPF_LD | BPF_B | BPF_ABS, kIcmpv6TypeOffset),
      /* 12 */ jump(BPF_JMP | BPF_JEQ | BPF_K, kNeighborSolicitation, 2, 0),
      /* 13 */ jump(BPF_JMP | BPF_JEQ | BPF_K, kNeighborAdvertisement, 1, 0),
      /* 14 kDrop */ statement(BPF_RET | BPF_K, 0),
      /* 15 kAccept */ statement(BPF_RET | BPF_K, kPacketSnapLength),
  };
  return program;
}

}  // namespace lbd::raw
