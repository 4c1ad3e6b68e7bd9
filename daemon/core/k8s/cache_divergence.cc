#include "core/k8s/cache_divergence.h"

#include <charconv>

namespace lbd::k8s {

std::optional<std::uint64_t> parseResourceVersion(std::string_view rv) {
  std::uint64_t value = 0;
  const char* end = rv.data() + rv.size();
  const auto [ptr, error] = std::from_chars(rv.data(), end, value);
  if (rv.empty() || error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string CacheDivergence::describe(std::size_t max_keys) const {
  std::string out;
  auto add = [&](const std::vector<std::string>& keys, const char* what) {
    if (keys.empty()) return;
    if (!out.empty()) out += ", ";
    out += std::to_string(keys.size()) + " " + what + " (";
    for (std::size_t i = 0; i < keys.size() && i < max_keys; ++i) {
      if (i > 0) out += ", ";
      out += keys[i];
    }
    if (keys.size() > max_keys) out += ", ...";
    out += ")";
  };
  add(missing, "missing");
  add(stale, "stale");
  add(extra, "extra");
  return out;
}

}  // namespace lbd::k8s
