#pragma once
// The list-then-watch protocol of a client-go reflector, as a pure state machine. The adapter
// (io/k8s) performs the requests this machine asks for and feeds the answers back; every
// decision - paging, resuming from the last resourceVersion, relisting after 410 Gone, backing
// off after failures - is made here and unit-tested without a network.
//
//   start -> LIST (limit, continue...) -> cache.replace -> WATCH from list RV
//   WATCH ends cleanly (timeoutSeconds)      -> WATCH again from the last RV seen
//   WATCH fails (disconnect, 5xx, cut line)  -> after backoff, WATCH from the last RV seen
//   ERROR event 410 / HTTP 410 (compacted)   -> LIST again; the cache emits the difference

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.h"
#include "core/k8s/informer_cache.h"
#include "core/k8s/object_codec.h"

namespace lbd::k8s {

struct ListWatchRequest {
  enum class Kind { List, Watch };
  Kind kind = Kind::List;
  std::string continue_token;    // List: page after the first
  std::string resource_version;  // Watch: resume point
  Duration delay{0};             // wait this long before sending (backoff)
  bool operator==(const ListWatchRequest&) const = default;
};

struct ListWatchCounters {
  std::uint64_t lists = 0;      // complete LISTs applied
  std::uint64_t relists = 0;    // LISTs after the first (410 Gone, failed pages)
  std::uint64_t watches = 0;    // WATCH requests asked for
  std::uint64_t events = 0;     // watch events applied
  std::uint64_t malformed = 0;  // objects or lines that could not be decoded (skipped)
  std::uint64_t failures = 0;   // failed requests (transport, 5xx, 429...)
};

/// Splits a watch stream into lines; a partial line is kept until the rest arrives.
class LineSplitter {
 public:
  /// Appends bytes and returns the complete lines (without '\n').
  std::vector<std::string> feed(std::string_view bytes);
  /// Bytes of an unfinished line (non-empty when a stream was cut mid-object).
  std::size_t pending() const { return partial_.size(); }
  void reset() { partial_.clear(); }

 private:
  std::string partial_;
};

template <class T>
class ListWatch {
 public:
  ListWatch(InformerCache<T>& cache, Backoff backoff) : cache_(cache), backoff_(backoff) {}

  /// The first request.
  ListWatchRequest start() { return list(Duration(0)); }

  /// A LIST page arrived (HTTP 200).
  ListWatchRequest onListPage(ListPage page) {
    for (const auto& item : page.items) {
      auto object = decodeObject<T>(item);
      if (object) {
        pending_items_.push_back(std::move(object.value()));
      } else {
        noteMalformed(object.error().message);
      }
    }
    if (!page.continue_token.empty()) {
      ListWatchRequest next;
      next.kind = ListWatchRequest::Kind::List;
      next.continue_token = std::move(page.continue_token);
      return next;
    }
    cache_.replace(std::move(pending_items_));
    pending_items_.clear();
    ++counters_.lists;
    resource_version_ = std::move(page.resource_version);
    backoff_.reset();
    return watch(Duration(0));
  }

  /// A LIST request failed: HTTP status (0 = transport failure).
  ListWatchRequest onListFailed(int http_status, double unit_random) {
    pending_items_.clear();
    ++counters_.failures;
    // 410 on a continue token means the snapshot expired: start the list over at once.
    if (http_status == 410) return list(Duration(0));
    return list(backoff_.next(unit_random));
  }

  /// One line of the watch stream. Returns a request when the current watch must be abandoned
  /// (a 410 ERROR event: the caller cancels the stream and sends the returned LIST).
  std::optional<ListWatchRequest> onWatchLine(std::string_view line) {
    if (line.empty()) return std::nullopt;
    auto event = decodeWatchEvent(line);
    if (!event) {
      noteMalformed(event.error().message);
      return std::nullopt;
    }
    switch (event->type) {
      case WatchEventType::Added:
      case WatchEventType::Modified: {
        auto object = decodeObject<T>(event->object);
        if (!object) {
          noteMalformed(object.error().message);
          return std::nullopt;
        }
        resource_version_ = object->meta.resource_version;
        cache_.upsert(std::move(object.value()));
        break;
      }
      case WatchEventType::Deleted: {
        auto meta = decodeMeta(event->object);
        if (!meta) {
          noteMalformed(meta.error().message);
          return std::nullopt;
        }
        resource_version_ = meta->resource_version;
        cache_.remove(meta->key());
        break;
      }
      case WatchEventType::Bookmark: {
        // A bookmark carries only metadata.resourceVersion: progress without a change.
        auto metadata = event->object.find("metadata");
        if (metadata != event->object.end() && metadata->is_object()) {
          auto rv = metadata->find("resourceVersion");
          if (rv != metadata->end() && rv->is_string()) {
            resource_version_ = rv->template get<std::string>();
          }
        }
        break;
      }
      case WatchEventType::Error: {
        auto status = decodeStatus(event->object);
        ++counters_.failures;
        if (status && status->code == 410) return list(Duration(0));
        // Other errors end the stream; the server closes it and onWatchEnded follows.
        return std::nullopt;
      }
    }
    ++counters_.events;
    return std::nullopt;
  }

  /// The watch stream ended. `clean`: a normal end (server's timeoutSeconds) with no bytes of
  /// an unfinished line left; otherwise a failure (HTTP error status, transport error, cut).
  ListWatchRequest onWatchEnded(bool clean, int http_status, double unit_random) {
    if (http_status == 410) return list(Duration(0));
    if (clean) {
      backoff_.reset();
      return watch(Duration(0));
    }
    ++counters_.failures;
    if (resource_version_.empty()) return list(backoff_.next(unit_random));
    return watch(backoff_.next(unit_random));
  }

  const std::string& resourceVersion() const { return resource_version_; }
  const ListWatchCounters& counters() const { return counters_; }
  /// The message of the last malformed object, and whether it is new since the last call
  /// (so the adapter logs each problem once, not once per event).
  std::optional<std::string> takeNewMalformedMessage() {
    if (!new_malformed_) return std::nullopt;
    new_malformed_ = false;
    return last_malformed_;
  }

 private:
  ListWatchRequest list(Duration delay) {
    if (counters_.lists > 0 || counters_.failures > 0) ++counters_.relists;
    ListWatchRequest request;
    request.kind = ListWatchRequest::Kind::List;
    request.delay = delay;
    return request;
  }

  ListWatchRequest watch(Duration delay) {
    ++counters_.watches;
    ListWatchRequest request;
    request.kind = ListWatchRequest::Kind::Watch;
    request.resource_version = resource_version_;
    request.delay = delay;
    return request;
  }

  void noteMalformed(const std::string& message) {
    ++counters_.malformed;
    if (reported_.insert(message).second) {
      last_malformed_ = message;
      new_malformed_ = true;
    }
  }

  InformerCache<T>& cache_;
  Backoff backoff_;
  std::vector<T> pending_items_;
  std::string resource_version_;
  ListWatchCounters counters_;
  std::set<std::string> reported_;
  std::string last_malformed_;
  bool new_malformed_ = false;
};

}  // namespace lbd::k8s
