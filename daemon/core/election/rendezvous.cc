#include "core/election/rendezvous.h"

#include "core/sha256.h"

namespace lbd::election {
bool ranksBefore(std::uint64_t weight_a, std::string_view a, std::uint64_t weight_b,
                 std::string_view b) {
  if (weight_a != weight_b) return weight_a > weight_b;
  return a < b;
}

std::uint64_t rendezvousWeight(const IpAddress& vip, std::string_view node) {
  std::string input = vip.toString();
  input += '/';
  input.append(node);
  const std::string digest = sha256Hex(input);
  std::uint64_t weight = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    const char c = digest[i];
    weight = (weight << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return weight;
}

std::size_t rendezvousRank(const IpAddress& vip, std::string_view node,
                           const std::vector<std::string>& candidates) {
  const std::uint64_t own = rendezvousWeight(vip, node);
  std::size_t rank = 0;
  for (const auto& other : candidates) {
    if (other == node) continue;
    if (ranksBefore(rendezvousWeight(vip, other), other, own, node)) ++rank;
  }
  return rank;
}

std::string rendezvousFirst(const IpAddress& vip, const std::vector<std::string>& candidates) {
  std::string best;
  std::uint64_t best_weight = 0;
  for (const auto& node : candidates) {
    const std::uint64_t weight = rendezvousWeight(vip, node);
    if (best.empty() || ranksBefore(weight, node, best_weight, best)) {
      best = node;
      best_weight = weight;
    }
  }
  return best;
}

}  // namespace lbd::election
