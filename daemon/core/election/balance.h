#pragma once
// Load-aware ranking of the candidates for ownerless layer-2 VIPs (the rule and why it is so:
// vip_election.h). Pure and deterministic: hosts that pass the same items, loads and names get
// the same answer, whatever order each lists the candidates in.
//
// The items are processed in the order given (the VIP election passes them by address). An
// ownerless item goes to its candidate with the lowest (projected load, rendezvous rank), whose
// projected load then grows by one; a pinned item (a VIP just claimed) adds one to its holder's
// projected load at its place in the order. Cost: O(candidates) per item, no hashing (the
// caller brings the weights).

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace lbd::election {

/// A host index (into the names passed to balance).
using HostId = std::uint32_t;
inline constexpr HostId kNoHost = std::numeric_limits<HostId>::max();

/// A candidate for one VIP: the host and its rendezvousWeight for that VIP.
struct BalanceCandidate {
  HostId host = kNoHost;
  std::uint64_t weight = 0;
};

/// One VIP taking part in the assignment.
struct BalanceItem {
  /// A VIP whose holder we saw take it less than lease-duration ago (or this host's claim in
  /// flight): it counts for that host here. kNoHost: ownerless, given to one of `candidates`.
  HostId pinned = kNoHost;
  std::vector<BalanceCandidate> candidates;  // any order; several entries per host not allowed
};

/// The outcome for one item.
struct BalanceRank {
  HostId first = kNoHost;  // rank 0; kNoHost when pinned or without candidates
  // Rank of `self` among the candidates (0 = first), when it is one; otherwise kNoHost.
  HostId self_rank = kNoHost;
  bool operator==(const BalanceRank&) const = default;
};

/// Assigns `items` in order. `loads[h]` is host h's load before the first item (VIPs of the
/// table its Lease names, not counting the items); `names[h]` its name (the tie break of
/// ranksBefore on equal weights). Every host id used must be < loads.size() == names.size().
std::vector<BalanceRank> balance(std::vector<std::uint32_t> loads,
                                 const std::vector<BalanceItem>& items,
                                 const std::vector<std::string>& names,
                                 std::optional<HostId> self = std::nullopt);

}  // namespace lbd::election
