#pragma once
// What a periodic relist-and-compare found: the objects in which an informer's cache differed
// from a complete LIST, counted only where the LIST proves the watch missed something.
//
// The cache stands at the watch's resourceVersion C (the watch is stopped before the LIST is
// sent, so it does not move); the LIST answers at L >= C in a healthy cluster. An object the
// LIST shows with a resourceVersion <= C was written before C, so the watch owed it to us: if
// the cache lacks it or holds another copy (another uid, other fields), that is a missed event.
// Objects written after C are simply news. An object in the cache but not in the LIST may have
// been deleted after C: that counts only when L <= C (nothing happened since C). When L < C the
// server went back in time (etcd restored from a backup) and every difference counts; so does
// every difference when a resourceVersion is not a number (they are opaque to clients; the
// kube-apiserver's are etcd revisions, and comparing them is what client-go's watch cache does).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lbd::k8s {

struct CacheDivergence {
  std::vector<std::string> missing;  // on the server, not in the cache
  std::vector<std::string> stale;    // in both, the cache holds another version or object
  std::vector<std::string> extra;    // in the cache, gone from the server
  bool went_back = false;            // the LIST's resourceVersion is older than the cache's

  std::size_t total() const { return missing.size() + stale.size() + extra.size(); }
  /// e.g. "1 missing (demo/a), 2 stale (demo/b, demo/c)"; at most `max_keys` keys per kind.
  std::string describe(std::size_t max_keys = 5) const;
  bool operator==(const CacheDivergence&) const = default;
};

/// A resourceVersion as a number, or nullopt when it is not one.
std::optional<std::uint64_t> parseResourceVersion(std::string_view rv);

/// Compares a cache at resourceVersion `cache_rv` with a complete LIST at `list_rv` (rules
/// above). `listed` holds each listed object once.
template <class T>
CacheDivergence compareCacheWithList(const std::map<std::string, T>& cache,
                                     const std::string& cache_rv, const std::vector<T>& listed,
                                     const std::string& list_rv) {
  CacheDivergence out;
  const auto c = parseResourceVersion(cache_rv);
  const auto l = parseResourceVersion(list_rv);
  const bool comparable = c && l;
  out.went_back = comparable && *l < *c;
  // Whether the watch, standing at C, should already have shown this object's state.
  auto owed = [&](const T& object) {
    if (!comparable || out.went_back) return true;
    const auto rv = parseResourceVersion(object.meta.resource_version);
    return !rv || *rv <= *c;
  };
  std::map<std::string, const T*> seen;
  for (const auto& object : listed) {
    std::string key = object.meta.key();
    const auto cached = cache.find(key);
    if (cached == cache.end()) {
      if (owed(object)) out.missing.push_back(key);
    } else if (!(cached->second == object) && owed(object)) {
      out.stale.push_back(key);
    }
    seen.emplace(std::move(key), &object);
  }
  const bool nothing_since = !comparable || *l <= *c;
  if (nothing_since) {
    for (const auto& [key, object] : cache) {
      if (!seen.count(key)) out.extra.push_back(key);
    }
  }
  return out;
}

}  // namespace lbd::k8s
