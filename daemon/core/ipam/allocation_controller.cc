#include "core/ipam/allocation_controller.h"

#include <algorithm>
#include <tuple>

namespace lbd::ipam {
namespace {

std::vector<std::string> texts(const std::vector<IpAddress>& ips) {
  std::vector<std::string> out;
  for (const auto& ip : ips)
    out.push_back(ip.toString());
  return out;
}

std::string quotedList(const std::vector<std::string>& ips) {
  std::string text = "[";
  for (const auto& ip : ips)
    text += (text.size() > 1 ? ", \"" : "\"") + ip + "\"";
  return text + "]";
}

ServiceEvent event(const ServiceRef& service, std::string type, std::string reason,
                   std::string message) {
  return ServiceEvent{service.namespace_,       service.name,    service.uid,
                      service.resource_version, std::move(type), std::move(reason),
                      std::move(message)};
}

ServiceEvent allocated(const ServiceRef& service, const Assignment& now,
                       const std::vector<std::string>& was) {
  std::string message =
      "Assigned IP " + quotedList(texts(now.ips)) + " from pool \"" + now.pool + "\"";
  if (!was.empty()) message += " (was " + quotedList(was) + ")";
  return event(service, "Normal", "IPAllocated", std::move(message));
}

ServiceEvent released(const ServiceRef& service, const std::vector<std::string>& ips,
                      const std::string& why) {
  return event(service, "Normal", "IPReleased", "Released IP " + quotedList(ips) + ": " + why);
}

}  // namespace

ServiceRef refOf(const k8s::Service& service) {
  ServiceRef ref{service.meta.namespace_,
                 service.meta.name,
                 service.meta.uid,
                 service.meta.resource_version,
                 {},
                 {}};
  for (const auto& ingress : service.ingress) {
    if (!ingress.ip.empty()) ref.ingress_ips.push_back(ingress.ip);
  }
  auto pool = service.meta.annotations.find(kAllocatedFromPoolAnnotation);
  if (pool != service.meta.annotations.end()) ref.pool_annotation = pool->second;
  return ref;
}

void AllocationController::noteFailure(Tracked& tracked, const AllocationFailure& failure,
                                       Decisions& out) {
  // Once per distinct failure: retries that fail the same way add nothing to read.
  if (!tracked.failure || *tracked.failure != failure) {
    out.events.push_back(event(tracked.service, "Warning", "AllocationFailed",
                               std::string(toString(failure.reason)) + ": " + failure.message));
  }
  tracked.failure = failure;
}

AllocationController::AllocationController(KubernetesConfig kubernetes, std::vector<Pool> pools)
    : kubernetes_(std::move(kubernetes)), allocator_(std::move(pools)) {}

void AllocationController::configure(KubernetesConfig kubernetes, std::vector<Pool> pools) {
  kubernetes_ = std::move(kubernetes);
  allocator_.setPools(std::move(pools));
}

void AllocationController::wantStatus(const ServiceRef& service, const Assignment* assignment,
                                      Decisions& out) const {
  StatusUpdate wanted{service.namespace_, service.name, {}, {}};
  if (assignment) {
    wanted.ips = texts(assignment->ips);
    wanted.pool = assignment->pool;
  }
  // Another implementation's hostname entries are not ours to judge; only the IPs are compared.
  if (service.ingress_ips == wanted.ips && service.pool_annotation == wanted.pool) return;
  out.status.push_back(std::move(wanted));
}

void AllocationController::notePending(const std::string& key) {
  if (tracked_.count(key) && !allocator_.find(key)) {
    pending_.insert(key);
  } else {
    pending_.erase(key);
  }
}

void AllocationController::decide(const k8s::Service& object, const Labels& namespace_labels,
                                  Tracked& tracked, Decisions& out) {
  tracked.service = refOf(object);
  const ServiceRef& service = tracked.service;
  const std::string key = object.meta.key();
  std::optional<Assignment> before;
  if (const Assignment* existing = allocator_.find(key)) before = *existing;

  tracked.request = readServiceRequest(object, namespace_labels);
  auto result = allocator_.assign(tracked.request);
  ++out.decided;
  notePending(key);
  const Assignment* now = allocator_.find(key);

  if (result) {
    tracked.failure.reset();
    // First sight of a Service whose status already shows these addresses (a restart, a new
    // allocator) is not news: nothing was assigned, it was found.
    const bool found = !before && service.ingress_ips == texts(now->ips);
    if ((!before || before->ips != now->ips) && !found) {
      out.events.push_back(
          allocated(service, *now, before ? texts(before->ips) : service.ingress_ips));
    }
  } else {
    noteFailure(tracked, result.error(), out);
    if (before && !now)
      out.events.push_back(released(service, texts(before->ips), result.error().message));
  }
  wantStatus(service, now, out);
  if (before && (!now || now->ips != before->ips)) retryPending(out);
}

void AllocationController::stopServing(const k8s::Service& object, Decisions& out) {
  const std::string key = object.meta.key();
  const ServiceRef service = refOf(object);
  auto tracked = tracked_.find(key);
  if (tracked == tracked_.end()) return;
  std::optional<Assignment> before;
  if (const Assignment* existing = allocator_.find(key)) before = *existing;
  allocator_.release(key);
  tracked_.erase(tracked);
  pending_.erase(key);
  if (before) {
    out.events.push_back(
        released(service, texts(before->ips), "the Service is no longer served by lbd"));
  }
  // A Service that stopped being a LoadBalancer keeps no load-balancer status. One that moved
  // to another loadBalancerClass is left alone: its new implementation writes the status.
  if (object.type != "LoadBalancer") wantStatus(service, nullptr, out);
  if (before) retryPending(out);
}

bool AllocationController::mayGainFromFreedAddresses(const Tracked& tracked) {
  // Only a lack of addresses is cured by a release; a bad request, an unknown pool or a
  // missing family wait for a change of the Service or of the configuration (which re-decide).
  if (!tracked.failure) return true;
  switch (tracked.failure->reason) {
    case FailureReason::PoolExhausted:
    case FailureReason::IpInUse:
    case FailureReason::SharingConflict:
      return true;
    default:
      return false;
  }
}

void AllocationController::retryPending(Decisions& out) {
  std::vector<Tracked*> pending;
  for (const auto& key : pending_) {
    Tracked& tracked = tracked_.at(key);
    if (mayGainFromFreedAddresses(tracked)) pending.push_back(&tracked);
  }
  std::stable_sort(pending.begin(), pending.end(), [](const Tracked* a, const Tracked* b) {
    return a->request.creation_timestamp < b->request.creation_timestamp;
  });
  for (Tracked* tracked : pending) {
    // decide() may free nothing here (a pending Service holds nothing), so no recursion.
    const ServiceRef& service = tracked->service;
    auto result = allocator_.assign(tracked->request);
    ++out.decided;
    notePending(tracked->request.key);
    if (!result) {
      noteFailure(*tracked, result.error(), out);
      continue;
    }
    tracked->failure.reset();
    out.events.push_back(allocated(service, result.value(), {}));
    wantStatus(service, allocator_.find(tracked->request.key), out);
  }
}

Decisions AllocationController::update(const k8s::Service& service,
                                       const Labels& namespace_labels) {
  Decisions out;
  if (!servedByLbd(service, kubernetes_)) {
    stopServing(service, out);
    return out;
  }
  decide(service, namespace_labels, tracked_[service.meta.key()], out);
  return out;
}

Decisions AllocationController::remove(const std::string& key) {
  Decisions out;
  auto tracked = tracked_.find(key);
  if (tracked == tracked_.end()) return out;
  const bool held = allocator_.find(key) != nullptr;
  allocator_.release(key);
  tracked_.erase(tracked);
  pending_.erase(key);
  if (held) retryPending(out);
  return out;
}

Decisions AllocationController::resync(const std::vector<const k8s::Service*>& services,
                                       const NamespaceLabels& namespace_labels) {
  Decisions out;
  // What this allocator decided before counts as the Service's current addresses: its status
  // may not show them yet (the write is on its way).
  std::map<std::string, std::vector<IpAddress>> previous;
  for (const auto& [key, assignment] : allocator_.assignments())
    previous[key] = assignment.ips;
  std::map<std::string, std::optional<AllocationFailure>> failures;
  for (const auto& [key, tracked] : tracked_)
    failures[key] = tracked.failure;

  Allocator fresh(allocator_.pools());
  allocator_ = std::move(fresh);
  std::map<std::string, Tracked> old_tracked = std::move(tracked_);
  tracked_.clear();
  pending_.clear();

  struct Entry {
    const k8s::Service* service;
    ServiceRequest request;
  };
  std::vector<Entry> entries;
  for (const k8s::Service* service : services) {
    const std::string key = service->meta.key();
    if (!servedByLbd(*service, kubernetes_)) {
      // No longer ours (a config change of the class settings): as in stopServing().
      if (auto was = previous.find(key); was != previous.end()) {
        out.events.push_back(released(refOf(*service), texts(was->second),
                                      "the Service is no longer served by lbd"));
      }
      if (old_tracked.count(key) && service->type != "LoadBalancer") {
        wantStatus(refOf(*service), nullptr, out);
      }
      continue;
    }
    Entry entry{service, readServiceRequest(*service, namespace_labels(service->meta.namespace_))};
    if (auto it = previous.find(key); it != previous.end()) entry.request.current_ips = it->second;
    entries.push_back(std::move(entry));
  }
  // Services with addresses first, then oldest first: the older Service wins a clash, and
  // nothing that holds an address is displaced by one that does not.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::make_tuple(a.request.current_ips.empty(), a.request.creation_timestamp,
                           a.request.key) < std::make_tuple(b.request.current_ips.empty(),
                                                            b.request.creation_timestamp,
                                                            b.request.key);
  });
  for (auto& entry : entries) {
    Tracked& tracked = tracked_[entry.request.key];
    tracked.service = refOf(*entry.service);
    tracked.request = std::move(entry.request);
    const std::string& key = tracked.request.key;
    const ServiceRef& service = tracked.service;
    tracked.failure = failures.count(key) ? failures[key] : std::nullopt;
    auto result = allocator_.assign(tracked.request);
    ++out.decided;
    notePending(key);
    const Assignment* now = allocator_.find(key);
    auto was = previous.find(key);
    const std::vector<std::string> shown =
        was != previous.end() ? texts(was->second) : service.ingress_ips;
    if (result) {
      tracked.failure.reset();
      if (texts(now->ips) != shown) out.events.push_back(allocated(service, *now, shown));
    } else {
      noteFailure(tracked, result.error(), out);
      if (!now && !shown.empty()) {
        out.events.push_back(released(service, shown, result.error().message));
      }
    }
    wantStatus(service, now, out);
  }
  return out;
}

void AllocationController::forget() {
  allocator_ = Allocator(allocator_.pools());
  tracked_.clear();
  pending_.clear();
}

std::vector<ServiceView> AllocationController::services() const {
  std::vector<ServiceView> views;
  for (const auto& [key, tracked] : tracked_) {
    ServiceView view;
    view.key = key;
    if (const Assignment* assignment = allocator_.find(key)) {
      view.ips = texts(assignment->ips);
      view.pool = assignment->pool;
      view.state = "assigned";
    } else {
      view.state = "pending";
    }
    if (tracked.failure) {
      view.reason = std::string(toString(tracked.failure->reason));
      view.message = tracked.failure->message;
    }
    views.push_back(std::move(view));
  }
  return views;
}

}  // namespace lbd::ipam
