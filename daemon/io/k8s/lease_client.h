#pragma once
// Read-decide-write on one coordination.k8s.io/v1 Lease with optimistic concurrency. The caller's
// `decide` sees the Lease as it is on the server (or none) and returns what it should become, or
// nothing to leave it alone. Updates always carry the resourceVersion that was read, so a write
// based on stale data is refused by the server (409) instead of overwriting someone else's
// claim; on 409 the Lease is read again and `decide` is asked again. Election logic lives in
// the caller (core), not here.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/k8s/object_builders.h"
#include "core/k8s/objects.h"
#include "io/k8s/api_client.h"

namespace lbd::k8s {

struct LeaseWriteResult {
  enum class Outcome {
    Written,    // created or updated; `lease` is what the server stored
    Unchanged,  // decide() returned nothing; `lease` is what was read (nullopt: none exists)
    Failed,     // `error` says why; `lease` is the last one read, if any
  };
  Outcome outcome = Outcome::Failed;
  std::optional<Lease> lease;
  int conflicts = 0;  // 409s met (and resolved by reading again) on the way
  std::string error;
};

class LeaseClient {
 public:
  using Decide = std::function<std::optional<LeaseSpec>(const std::optional<Lease>& current)>;
  using Done = std::function<void(LeaseWriteResult)>;

  /// After this many conflicts in one write the write fails: someone else keeps winning, which
  /// the caller treats like losing the race.
  static constexpr int kMaxConflicts = 5;

  explicit LeaseClient(ApiClient& api) : api_(api) {}

  void write(const std::string& lease_namespace, const std::string& name, Decide decide, Done done);

  /// The same, starting from the Lease as the caller already knows it (its informer cache, or
  /// what the server stored for its last write; nullopt: none exists) instead of reading it
  /// first: one request per renewal instead of two. A stale copy costs a 409 and a fresh read.
  /// `max_attempts` per request (0 = the client's default; 1 for a heartbeat, which is written
  /// again on its own schedule anyway and must not wait out a retry backoff).
  void writeFrom(const std::string& lease_namespace, const std::string& name,
                 std::optional<Lease> known, Decide decide, Done done,
                 std::uint32_t max_attempts = 0);

 private:
  struct Attempt;
  void read(std::shared_ptr<Attempt> attempt);
  void decideAndWrite(std::shared_ptr<Attempt> attempt, std::optional<Lease> current);

  ApiClient& api_;
};

}  // namespace lbd::k8s
