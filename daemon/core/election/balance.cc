#include "core/election/balance.h"

#include "core/election/rendezvous.h"

namespace lbd::election {

std::vector<BalanceRank> balance(std::vector<std::uint32_t> loads,
                                 const std::vector<BalanceItem>& items,
                                 const std::vector<std::string>& names,
                                 std::optional<HostId> self) {
  std::vector<BalanceRank> out(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const BalanceItem& item = items[i];
    if (item.pinned != kNoHost) {
      ++loads[item.pinned];
      continue;
    }
    // a before b: the lower projected load, then the rendezvous order.
    auto before = [&](const BalanceCandidate& a, const BalanceCandidate& b) {
      if (loads[a.host] != loads[b.host]) return loads[a.host] < loads[b.host];
      return ranksBefore(a.weight, names[a.host], b.weight, names[b.host]);
    };
    const BalanceCandidate* first = nullptr;
    const BalanceCandidate* own = nullptr;
    for (const auto& candidate : item.candidates) {
      if (!first || before(candidate, *first)) first = &candidate;
      if (self && candidate.host == *self) own = &candidate;
    }
    if (!first) continue;
    BalanceRank& rank = out[i];
    rank.first = first->host;
    if (own) {
      rank.self_rank = 0;
      for (const auto& candidate : item.candidates) {
        if (candidate.host != own->host && before(candidate, *own)) ++rank.self_rank;
      }
    }
    ++loads[first->host];
  }
  return out;
}

}  // namespace lbd::election
