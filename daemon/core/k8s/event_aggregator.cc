#include "core/k8s/event_aggregator.h"

#include <algorithm>

namespace lbd::k8s {

std::string EventAggregator::keyOf(const EventSpec& spec) {
  // Everything that makes two events "the same" for a reader of `kubectl describe`. The uid is
  // included so a re-created Service with the same name starts its own history.
  std::string key;
  for (const std::string* part :
       {&spec.namespace_, &spec.involved_kind, &spec.involved_name, &spec.involved_uid, &spec.type,
        &spec.reason, &spec.message, &spec.reporting_instance}) {
    key += *part;
    key += '\0';
  }
  return key;
}

EventAggregator::Write EventAggregator::next(const EventSpec& spec,
                                             const std::string& new_name_suffix,
                                             std::int32_t occurrences) const {
  occurrences = std::max<std::int32_t>(occurrences, 1);
  auto found = by_key_.find(keyOf(spec));
  if (found == by_key_.end()) {
    return Write{true, spec.involved_name + "." + new_name_suffix, occurrences};
  }
  return Write{false, found->second->name, found->second->count + occurrences};
}

void EventAggregator::written(const EventSpec& spec, const Write& write) {
  std::string key = keyOf(spec);
  auto found = by_key_.find(key);
  if (found != by_key_.end()) {
    found->second->name = write.name;
    found->second->count = write.count;
    entries_.splice(entries_.begin(), entries_, found->second);
    return;
  }
  entries_.push_front(Entry{key, write.name, write.count});
  by_key_.emplace(std::move(key), entries_.begin());
  while (entries_.size() > capacity_) {
    by_key_.erase(entries_.back().key);
    entries_.pop_back();
  }
}

void EventAggregator::forget(const EventSpec& spec) {
  auto found = by_key_.find(keyOf(spec));
  if (found == by_key_.end()) return;
  entries_.erase(found->second);
  by_key_.erase(found);
}

}  // namespace lbd::k8s
