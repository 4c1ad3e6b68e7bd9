#pragma once
// Why a Service did not get (all of) its addresses. The reason is a stable word for Events,
// `lbctl services` and scripts; the message is the sentence a user reads.

#include <string>
#include <string_view>

namespace lbd::ipam {

enum class FailureReason {
  ConflictingRequests,  // two annotations (or an annotation and spec.loadBalancerIP) disagree
  InvalidRequest,       // an annotation that does not parse, or asks for the impossible
  UnknownPool,          // the requested pool is not configured
  PoolDoesNotServe,     // the requested pool's namespace/label selectors exclude the Service
  IpNotInAnyPool,       // a requested IP is in no configured pool
  IpInUse,              // a requested IP is taken by a Service it cannot share with
  SharingConflict,      // sharing key / backend / ports forbid sharing the IP
  FamilyUnavailable,    // no pool has an address family the Service needs
  PoolExhausted,        // the pools that could serve it have no free address
};

std::string_view toString(FailureReason reason);

struct AllocationFailure {
  FailureReason reason;
  std::string message;
  bool operator==(const AllocationFailure&) const = default;
};

}  // namespace lbd::ipam
