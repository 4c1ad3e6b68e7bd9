#pragma once
// Turns repeated identical Events into one Event whose count grows, as client-go's
// EventCorrelator does: an allocator that retries a pending Service every few seconds must not
// write a new Event each time. Pure bookkeeping: the recorder (io/k8s/event_recorder.h) asks
// what to write and reports what the server accepted.

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

#include "core/k8s/object_builders.h"

namespace lbd::k8s {

class EventAggregator {
 public:
  /// Remembers at most `capacity` distinct events (least recently seen forgotten first), like
  /// client-go's LRU of 4096.
  explicit EventAggregator(std::size_t capacity = 4096) : capacity_(capacity) {}

  struct Write {
    bool create = true;  // POST a new Event; false = patch `name` with `count`
    std::string name;
    std::int32_t count = 1;
  };

  /// What to write for `occurrences` more occurrences of `spec` (several when repeats were
  /// folded together while waiting to be sent). `new_name_suffix` is used when a new Event is
  /// needed (client-go uses the time in hex nanoseconds).
  Write next(const EventSpec& spec, const std::string& new_name_suffix,
             std::int32_t occurrences = 1) const;
  /// The server accepted `write` for `spec`.
  void written(const EventSpec& spec, const Write& write);
  /// The Event is gone on the server (expired after its TTL, deleted): start a new one.
  void forget(const EventSpec& spec);

  std::size_t size() const { return entries_.size(); }

  /// Everything that makes two events "the same" for a reader of `kubectl describe`.
  static std::string keyOf(const EventSpec& spec);

 private:
  struct Entry {
    std::string key;
    std::string name;
    std::int32_t count = 0;
  };
  std::size_t capacity_;
  std::list<Entry> entries_;  // most recently written first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
};

}  // namespace lbd::k8s
