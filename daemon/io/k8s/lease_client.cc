#include "io/k8s/lease_client.h"

namespace lbd::k8s {

struct LeaseClient::Attempt {
  std::string lease_namespace;
  std::string name;
  Decide decide;
  Done done;
  std::uint32_t max_attempts = 0;
  LeaseWriteResult result;

  std::string collectionPath() const {
    return "/apis/coordination.k8s.io/v1/namespaces/" + lease_namespace + "/leases";
  }
  std::string objectPath() const { return collectionPath() + "/" + name; }

  void fail(std::string error) {
    result.outcome = LeaseWriteResult::Outcome::Failed;
    result.error = std::move(error);
    done(std::move(result));
  }
};

namespace {

Result<Lease> decodeLeaseBody(const std::string& body) {
  auto json = parseJson(body);
  if (!json) return Unexpected{json.error()};
  return decodeLease(json.value());
}

}  // namespace

void LeaseClient::write(const std::string& lease_namespace, const std::string& name, Decide decide,
                        Done done) {
  auto attempt = std::make_shared<Attempt>();
  attempt->lease_namespace = lease_namespace;
  attempt->name = name;
  attempt->decide = std::move(decide);
  attempt->done = std::move(done);
  read(std::move(attempt));
}

void LeaseClient::writeFrom(const std::string& lease_namespace, const std::string& name,
                            std::optional<Lease> known, Decide decide, Done done,
                            std::uint32_t max_attempts) {
  auto attempt = std::make_shared<Attempt>();
  attempt->lease_namespace = lease_namespace;
  attempt->name = name;
  attempt->decide = std::move(decide);
  attempt->done = std::move(done);
  attempt->max_attempts = max_attempts;
  decideAndWrite(std::move(attempt), std::move(known));
}

void LeaseClient::read(std::shared_ptr<Attempt> attempt) {
  api_.call(
      "GET", attempt->objectPath(), "", "",
      [this, attempt](ApiResponse response) {
        if (response.status == 404) {
          decideAndWrite(attempt, std::nullopt);
          return;
        }
        if (!response.ok()) {
          attempt->fail("reading Lease " + attempt->name + ": " + response.describe());
          return;
        }
        auto lease = decodeLeaseBody(response.body);
        if (!lease) {
          attempt->fail("reading Lease " + attempt->name + ": " + lease.error().message);
          return;
        }
        decideAndWrite(attempt, std::move(lease.value()));
      },
      attempt->max_attempts);
}

void LeaseClient::decideAndWrite(std::shared_ptr<Attempt> attempt, std::optional<Lease> current) {
  std::optional<LeaseSpec> wanted = attempt->decide(current);
  attempt->result.lease = current;
  if (!wanted) {
    attempt->result.outcome = LeaseWriteResult::Outcome::Unchanged;
    attempt->done(std::move(attempt->result));
    return;
  }
  wanted->namespace_ = attempt->lease_namespace;
  wanted->name = attempt->name;
  // Never a blind overwrite: an update is conditional on the version decide() looked at, and a
  // create fails if anyone created the Lease meanwhile.
  wanted->resource_version = current ? current->meta.resource_version : "";
  const bool create = !current.has_value();
  api_.call(
      create ? "POST" : "PUT", create ? attempt->collectionPath() : attempt->objectPath(),
      leaseObject(*wanted).dump(), "application/json",
      [this, attempt, create](ApiResponse response) {
        // 409: someone else wrote first. 404 on an update: it was deleted since the
        // copy we decided on (writeFrom's may be old).
        if (response.status == 409 || (!create && response.status == 404)) {
          if (++attempt->result.conflicts > kMaxConflicts) {
            attempt->fail("writing Lease " + attempt->name + ": still conflicting after " +
                          std::to_string(kMaxConflicts) + " fresh reads");
            return;
          }
          read(attempt);  // someone else wrote first: look again and decide again
          return;
        }
        if (!response.ok()) {
          attempt->fail(std::string(create ? "creating" : "updating") + " Lease " + attempt->name +
                        ": " + response.describe());
          return;
        }
        auto stored = decodeLeaseBody(response.body);
        if (!stored) {
          attempt->fail("writing Lease " + attempt->name + ": " + stored.error().message);
          return;
        }
        attempt->result.outcome = LeaseWriteResult::Outcome::Written;
        attempt->result.lease = std::move(stored.value());
        attempt->done(std::move(attempt->result));
      },
      attempt->max_attempts);
}

}  // namespace lbd::k8s
