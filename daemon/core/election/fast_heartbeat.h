#pragma once
// Direct heartbeats for fast failover ([election] fast-failover, off by default). Hosts that
// announce layer-2 pools send each other a small UDP datagram every fast-interval; a host that
// has not been heard for fast-misses intervals is reported to the election (VipElection::
// peerSilent), which treats the VIPs it holds as ownerless at once instead of waiting for its
// heartbeat Lease to expire. The Lease stays the only authority: the claim is the usual
// compare-and-swap, and the old owner stops answering when it sees the Lease change.
//
// The datagram, authenticated with HMAC-SHA256 under a key shared through a file (a stranger on
// the segment cannot make a live host look dead, only the absence of datagrams can; forged or
// replayed datagrams are dropped and counted):
//
//   "LBDH" | version (1) | node length (1) | node | boot id (8) | sequence (8) | tag (16)
//
// tag = the first 16 bytes of HMAC-SHA256(key, everything before it). The boot id is random per
// start of the sender, the sequence counts up from 1 within it: a datagram whose sequence is not
// above the last one accepted from that boot is a replay, and a boot id already replaced by a
// newer one is never accepted again.
// Pure: bytes and time in, verdicts out.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.h"
#include "core/election/heartbeat.h"
#include "core/result.h"

namespace lbd::election {

inline constexpr std::size_t kFastTagSize = 16;
inline constexpr std::size_t kFastMaxNodeName = 253;  // a DNS subdomain, as Node names are

struct FastHeartbeat {
  std::string node;
  std::uint64_t boot_id = 0;
  std::uint64_t sequence = 0;
  bool operator==(const FastHeartbeat&) const = default;
};

enum class FastRejection {
  Malformed,  // not an lbd heartbeat of this version (length, magic, name)
  BadTag,     // wrong key or altered: forged
  Replayed,   // an old sequence or boot id of a known sender
};
std::string_view toString(FastRejection rejection);

std::vector<std::uint8_t> encodeFastHeartbeat(const FastHeartbeat& beat, std::string_view key);
/// Checks the tag; Replayed is for FastLiveness to say.
Result<FastHeartbeat, FastRejection> decodeFastHeartbeat(std::span<const std::uint8_t> datagram,
                                                         std::string_view key);

/// Who has been heard from, and who fell silent.
class FastLiveness {
 public:
  FastLiveness(Duration interval, std::uint32_t misses) : interval_(interval), misses_(misses) {}
  void configure(Duration interval, std::uint32_t misses);

  /// A datagram with a good tag from `beat.node` at `now`: Replayed when it is not newer than
  /// what was accepted from that sender. Returns true when the sender was silent (or unknown)
  /// before: the election should hear that it is back (VipElection::peerHeard).
  Result<bool, FastRejection> accept(const FastHeartbeat& beat, MonotonicTime now);

  /// Senders not heard for misses x interval, with the time they became silent (last heard +
  /// misses x interval). Only senders heard at least once: a host that never sent is judged
  /// by its heartbeat Lease alone. None while every sender is silent: a host that hears nobody
  /// is more likely cut off itself than the last one alive, and judging the others would have
  /// it claim every VIP of the segment. (So with two hosts a crash takes the Lease path.)
  std::vector<std::pair<std::string, MonotonicTime>> silent(MonotonicTime now) const;
  /// When the next sender becomes silent, if nothing is heard meanwhile.
  std::optional<MonotonicTime> nextSilence(MonotonicTime now) const;
  /// The sender left (its heartbeat Lease was released or deleted).
  void forget(std::string_view node);
  /// Last heard, for lbctl (nullopt: never).
  std::optional<MonotonicTime> lastHeard(std::string_view node) const;

 private:
  struct Sender {
    std::uint64_t boot_id = 0;
    std::uint64_t sequence = 0;
    std::vector<std::uint64_t> retired_boots;  // replaced boot ids, newest last (a few kept)
    MonotonicTime last_heard{};
  };
  Duration silence() const { return interval_ * misses_; }

  Duration interval_;
  std::uint32_t misses_;
  std::map<std::string, Sender, std::less<>> senders_;
};

}  // namespace lbd::election
