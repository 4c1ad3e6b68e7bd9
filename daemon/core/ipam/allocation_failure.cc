#include "core/ipam/allocation_failure.h"

namespace lbd::ipam {

std::string_view toString(FailureReason reason) {
  switch (reason) {
    case FailureReason::ConflictingRequests:
      return "ConflictingRequests";
    case FailureReason::InvalidRequest:
      return "InvalidRequest";
    case FailureReason::UnknownPool:
      return "UnknownPool";
    case FailureReason::PoolDoesNotServe:
      return "PoolDoesNotServe";
    case FailureReason::IpNotInAnyPool:
      return "IPNotInAnyPool";
    case FailureReason::IpInUse:
      return "IPInUse";
    case FailureReason::SharingConflict:
      return "SharingConflict";
    case FailureReason::FamilyUnavailable:
      return "FamilyUnavailable";
    case FailureReason::PoolExhausted:
      return "PoolExhausted";
  }
  return "Unknown";
}

}  // namespace lbd::ipam
