#pragma once
// The list-then-watch protocol of a client-go reflector, as a pure state machine. The adapter
// (io/k8s) performs the requests this machine asks for and feeds the answers back; every
// decision - paging, resuming from the last resourceVersion, relisting, backing off after
// failures - is made here and unit-tested without a network.
//
//   start -> LIST (limit, continue...) -> cache.replace -> WATCH from list RV
//   WATCH ends cleanly (timeoutSeconds)       -> WATCH again from the last RV seen
//   WATCH fails (disconnect, 5xx, cut line,   -> (after backoff) LIST at the last RV seen with
//     ERROR event, 410 Gone)                      resourceVersionMatch=NotOlderThan, one page
//   that LIST answers 410 Gone, or 504 with   -> LIST from scratch (no resourceVersion: a
//     cause ResourceVersionTooLarge              consistent read), paged
//   resync due (periodic, optional)           -> stop the WATCH, LIST from scratch, compare
//                                                 with the cache (cache_divergence.h), repair
// Every complete LIST replaces the cache, which emits the difference as adds/updates/deletes.
//
// Why list after a failed watch rather than resume it (client-go resumes after a broken
// stream): a watch from a resourceVersion the server has not reached yet is accepted and stays
// silent - events of lower versions are never sent to it, nor bookmarks. That is exactly where
// a client stands after the cluster was restored from an etcd backup (versions go backwards):
// lbd resumed, showed 51 Services "synced, watching" while the server held 4, and stayed so.
// A LIST "not older than" our version is cheap (the watch cache answers it, hence one page, as
// client-go asks it) and the server answers it with 504 "Too large resource version" after
// ~3 s when our version is in its future; then a LIST from scratch repairs the cache. A relist
// after 410 goes the same way: client-go lists at its last version then too, since a list
// not older than an old version is the current state.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.h"
#include "core/k8s/cache_divergence.h"
#include "core/k8s/informer_cache.h"
#include "core/k8s/object_codec.h"

namespace lbd::k8s {

struct ListWatchRequest {
  enum class Kind { List, Watch };
  Kind kind = Kind::List;
  std::string continue_token;  // List: page after the first
  // Watch: the resume point. List: when set, a LIST not older than this version
  // (resourceVersionMatch=NotOlderThan), in one page so the watch cache can answer it.
  std::string resource_version;
  Duration delay{0};  // wait this long before sending (backoff)
  bool operator==(const ListWatchRequest&) const = default;
};

struct ListWatchCounters {
  std::uint64_t lists = 0;          // complete LISTs applied
  std::uint64_t relists = 0;        // LISTs after the first (failed watches, 410, resyncs...)
  std::uint64_t watches = 0;        // WATCH requests asked for
  std::uint64_t events = 0;         // watch events applied
  std::uint64_t malformed = 0;      // objects or lines that could not be decoded (skipped)
  std::uint64_t failures = 0;       // failed requests (transport, 5xx, 429...)
  std::uint64_t server_behind = 0;  // 504 Too large resource version: the server went back
  std::uint64_t uid_changes = 0;    // another object (uid) under a cached name: delete + add
  std::uint64_t resyncs = 0;        // periodic relist-and-compare runs completed
  std::uint64_t repaired = 0;       // differences those runs found and repaired
};

/// Whether a failed LIST at a resourceVersion says that version is no use to ask for again:
/// 410 Gone (compacted) or 504 with cause ResourceVersionTooLarge (the server is behind it).
/// `body` is the answer's metav1.Status, if any.
bool resourceVersionUnusable(int http_status, std::string_view body);
/// The 504 "Too large resource version" answer (details.causes[].reason).
bool resourceVersionTooLarge(int http_status, std::string_view body);

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
  ListWatchRequest start() { return list(Purpose::Full, Duration(0)); }

  /// The periodic resync is due while watching: the caller abandons the watch and sends this
  /// LIST from scratch; its result is compared with the cache before it replaces it.
  ListWatchRequest onResyncDue() { return list(Purpose::Resync, Duration(0)); }

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
    if (purpose_ == Purpose::Resync) {
      last_repair_ = compareCacheWithList(cache_.objects(), resource_version_, pending_items_,
                                          page.resource_version);
      counters_.repaired += last_repair_.total();
      ++counters_.resyncs;
      new_repair_ = true;
    }
    cache_.replace(std::move(pending_items_));
    pending_items_.clear();
    counters_.uid_changes = cache_.uidChanges();
    ++counters_.lists;
    resource_version_ = std::move(page.resource_version);
    backoff_.reset();
    return watch(Duration(0));
  }

  /// A LIST request failed: HTTP status (0 = transport failure) and the answer's body (a
  /// metav1.Status, or anything else).
  ListWatchRequest onListFailed(int http_status, std::string_view body, double unit_random) {
    pending_items_.clear();
    ++counters_.failures;
    if (purpose_ == Purpose::NotOlderThan && resourceVersionUnusable(http_status, body)) {
      // Our version is compacted away, or in the server's future (restored from a backup):
      // only a consistent read from scratch can tell what the cluster holds now.
      if (http_status != 410) ++counters_.server_behind;
      return list(Purpose::Full, Duration(0));
    }
    // 410 on a continue token means the snapshot expired: start the list over at once.
    if (http_status == 410) return list(purpose_, Duration(0));
    return list(purpose_, backoff_.next(unit_random));
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
        counters_.uid_changes = cache_.uidChanges();
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
        if (status && status->code == 410) return listFrom(Duration(0));
        // Other errors end the stream; the server closes it and onWatchEnded follows, which
        // must not take it for a clean end.
        watch_failed_ = true;
        return std::nullopt;
      }
    }
    ++counters_.events;
    return std::nullopt;
  }

  /// The watch stream ended. `clean`: a normal end (server's timeoutSeconds) with no bytes of
  /// an unfinished line left; otherwise a failure (HTTP error status, transport error, cut).
  ListWatchRequest onWatchEnded(bool clean, int http_status, double unit_random) {
    if (http_status == 410) return listFrom(Duration(0));
    if (clean && !watch_failed_) {
      backoff_.reset();
      return watch(Duration(0));
    }
    if (!watch_failed_) ++counters_.failures;  // an ERROR event counted it already
    return listFrom(backoff_.next(unit_random));
  }

  /// What the last resync found, once per resync (so the adapter logs each run once).
  std::optional<CacheDivergence> takeNewRepairReport() {
    if (!new_repair_) return std::nullopt;
    new_repair_ = false;
    return last_repair_;
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
  // Why the LIST in progress was sent: it decides what its failures and its result mean.
  enum class Purpose {
    Full,          // no resourceVersion: the start, or after our version proved unusable
    NotOlderThan,  // at our last version, after a failed watch
    Resync,        // no resourceVersion, compared with the cache before replacing it
  };

  /// The LIST after a failed watch: not older than what we have, or from scratch if we have
  /// nothing yet.
  ListWatchRequest listFrom(Duration delay) {
    return list(resource_version_.empty() ? Purpose::Full : Purpose::NotOlderThan, delay);
  }

  ListWatchRequest list(Purpose purpose, Duration delay) {
    if (counters_.lists > 0 || counters_.failures > 0) ++counters_.relists;
    purpose_ = purpose;
    ListWatchRequest request;
    request.kind = ListWatchRequest::Kind::List;
    if (purpose == Purpose::NotOlderThan) request.resource_version = resource_version_;
    request.delay = delay;
    return request;
  }

  ListWatchRequest watch(Duration delay) {
    watch_failed_ = false;
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
  Purpose purpose_ = Purpose::Full;
  bool watch_failed_ = false;  // the current watch sent an ERROR event
  CacheDivergence last_repair_;
  bool new_repair_ = false;
};

}  // namespace lbd::k8s
