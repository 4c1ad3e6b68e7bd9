#include "core/k8s/dispatch_policy.h"

#include <algorithm>

namespace lbd::k8s {

DispatchPolicy::DispatchPolicy(DispatchLimits limits, TimePoint now) : limits_(limits) {
  limits_.max_in_flight = std::max<std::uint32_t>(limits_.max_in_flight, 1);
  limits_.lease_in_flight = std::max<std::uint32_t>(limits_.lease_in_flight, 1);
  if (limits_.qps > 0) rate_.emplace(limits_.qps, limits_.burst, now);
}

std::uint32_t DispatchPolicy::bulkInFlight() const {
  return in_flight_[index(RequestClass::Read)] + in_flight_[index(RequestClass::Status)] +
         in_flight_[index(RequestClass::Event)];
}

std::uint32_t DispatchPolicy::inFlight() const {
  return bulkInFlight() + in_flight_[index(RequestClass::Lease)];
}

bool DispatchPolicy::hasSlot(RequestClass request_class) const {
  if (request_class == RequestClass::Lease) {
    return in_flight_[index(RequestClass::Lease)] < limits_.lease_in_flight;
  }
  return bulkInFlight() < limits_.max_in_flight;
}

std::optional<RequestClass> DispatchPolicy::next(const Waiting& waiting, TimePoint now) {
  for (const RequestClass candidate : kRequestClassesInOrder) {
    if (!waiting[index(candidate)] || throttled(candidate, now) || !hasSlot(candidate)) continue;
    if (candidate != RequestClass::Lease && rate_) {
      if (next_token_ && now < *next_token_) return std::nullopt;
      const Duration wait = rate_->take(now);
      if (wait.count() > 0) {
        // No token yet (take() took none): the next one is due at now + wait.
        next_token_ = now + wait;
        return std::nullopt;
      }
      next_token_.reset();
    }
    return candidate;
  }
  return std::nullopt;
}

void DispatchPolicy::started(RequestClass request_class) {
  ++in_flight_[index(request_class)];
}

void DispatchPolicy::finished(RequestClass request_class) {
  auto& count = in_flight_[index(request_class)];
  if (count > 0) --count;
}

void DispatchPolicy::throttle(RequestClass request_class, TimePoint until) {
  auto& held = held_until_[index(request_class)];
  held = std::max(held, until);
}

std::optional<DispatchPolicy::TimePoint> DispatchPolicy::wakeAt(const Waiting& waiting,
                                                                TimePoint now) const {
  std::optional<TimePoint> wake;
  auto consider = [&wake](TimePoint at) { wake = wake ? std::min(*wake, at) : at; };
  for (const RequestClass candidate : kRequestClassesInOrder) {
    if (!waiting[index(candidate)]) continue;
    if (throttled(candidate, now)) {
      consider(held_until_[index(candidate)]);
    } else if (candidate != RequestClass::Lease && next_token_ && now < *next_token_ &&
               hasSlot(candidate)) {
      consider(*next_token_);
    }
  }
  return wake;
}

}  // namespace lbd::k8s
