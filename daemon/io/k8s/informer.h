#pragma once
// Runs one ListWatch machine (core/k8s/list_watch.h) against the API server: performs the
// LIST and WATCH requests it asks for, feeds the answers back, and keeps the cache it fills.
// The protocol decisions are the machine's; this class only does I/O and timing.

#include <chrono>
#include <memory>
#include <random>
#include <string>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/k8s/informer_cache.h"
#include "core/k8s/list_watch.h"
#include "io/k8s/api_client.h"

namespace lbd::k8s {

struct InformerOptions {
  std::string collection_path;  // e.g. "/api/v1/services",
                                // "/apis/coordination.k8s.io/v1/namespaces/lbd-system/leases"
  std::string selector_query;   // e.g. "labelSelector=app%3Dx" (already URL-encoded), may be empty
  std::uint32_t page_size = 500;
  // Watches end server-side after a random time in this range (as client-go does), so
  // connections are rebalanced and a silently dead stream cannot last forever.
  std::chrono::seconds min_watch_timeout{300};
  std::chrono::seconds max_watch_timeout{600};
  // Periodic relist-and-compare ([kubernetes] resync-interval); 0 = off. Each run waits a
  // random point in [interval, 1.1 x interval] so hosts do not list at the same moment.
  Duration resync_interval{0};
};

template <class T>
class Informer {
 public:
  Informer(boost::asio::io_context& io, ApiClient& api, InformerOptions options,
           std::shared_ptr<spdlog::logger> log)
      : api_(api),
        options_(std::move(options)),
        log_(std::move(log)),
        machine_(cache_, Backoff(std::chrono::milliseconds(800), std::chrono::seconds(30))),
        timer_(io),
        resync_timer_(io),
        random_(std::random_device{}()) {}

  ~Informer() { stop(); }

  InformerCache<T>& cache() { return cache_; }
  const InformerCache<T>& cache() const { return cache_; }
  const ListWatchCounters& counters() const { return machine_.counters(); }
  /// "listing", "watching" or "waiting" (backing off before the next request).
  const std::string& state() const { return state_; }

  void start() {
    running_ = true;
    execute(machine_.start());
    scheduleResync();
  }

  /// The API answered again (another request just succeeded): if this informer is backing
  /// off, its next attempt comes within `within` (a random point in it, so hosts that all saw
  /// the server return do not reconnect in the same millisecond) instead of up to the 30 s the
  /// backoff may have reached during a long outage. No effect while listing or watching.
  void retrySoon(Duration within) {
    if (!running_ || !pending_) return;
    const auto delay = std::chrono::duration_cast<Duration>(within * draw());
    if (timer_.expiry() - std::chrono::steady_clock::now() <= delay) return;
    waitThenExecute(*pending_, delay);  // re-arming the timer aborts the longer wait
  }

  void stop() {
    running_ = false;
    pending_.reset();
    timer_.cancel();
    resync_timer_.cancel();
    abandonWatch();
  }

 private:
  double draw() { return std::uniform_real_distribution<double>(0.0, 1.0)(random_); }

  void scheduleResync() {
    if (options_.resync_interval.count() <= 0) return;
    const auto delay =
        std::chrono::duration_cast<Duration>(options_.resync_interval * (1.0 + 0.1 * draw()));
    resync_timer_.expires_after(delay);
    resync_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error || !running_) return;
      // Only a running watch is stopped for it: while listing or backing off, a LIST is under
      // way or coming anyway.
      if (state_ == "watching" && watch_id_) {
        abandonWatch();
        execute(machine_.onResyncDue());
      }
      scheduleResync();
    });
  }

  /// Drops the current watch stream; its late bytes and its end are ignored.
  void abandonWatch() {
    abandoned_ = true;
    if (watch_id_) api_.cancel(*watch_id_);
    watch_id_.reset();
  }

  void execute(ListWatchRequest request) {
    if (!running_) return;
    if (request.delay.count() > 0) {
      const auto delay = request.delay;
      request.delay = Duration(0);
      waitThenExecute(std::move(request), delay);
      return;
    }
    pending_.reset();
    if (request.kind == ListWatchRequest::Kind::List) {
      list(request.continue_token, request.resource_version);
    } else {
      watch(request.resource_version);
    }
  }

  void waitThenExecute(ListWatchRequest request, Duration delay) {
    state_ = "waiting";
    pending_ = request;
    timer_.expires_after(delay);
    timer_.async_wait([this, request = std::move(request)](const boost::system::error_code& error) {
      if (!error) execute(request);
    });
  }

  std::string query(std::initializer_list<std::string> parts) const {
    std::string q;
    auto add = [&](const std::string& part) {
      if (part.empty()) return;
      q += q.empty() ? "?" : "&";
      q += part;
    };
    add(options_.selector_query);
    for (const auto& part : parts)
      add(part);
    return q;
  }

  void list(const std::string& continue_token, const std::string& resource_version) {
    state_ = "listing";
    // At a resourceVersion: one page, which the watch cache serves (with a limit the server
    // would read etcd), as client-go lists after a failed watch. After an apiserver restart
    // every host relists at once, and the watch cache absorbs that where etcd would not; the
    // price is memory: 10,000 Services took lbd_k8s_probe's peak RSS from 36 MiB (paged
    // initial list) to 64 MiB during such a list (3 Dec 2026, debug build).
    const std::string path =
        options_.collection_path +
        (resource_version.empty()
             ? query({"limit=" + std::to_string(options_.page_size),
                      continue_token.empty() ? "" : "continue=" + continue_token})
             : query({"resourceVersion=" + resource_version, "resourceVersionMatch=NotOlderThan"}));
    // A LIST at a version is sent once: its 504 "Too large resource version" is an answer
    // for the machine (list from scratch), which the client's own 5xx retries would only delay
    // by the server's ~3 s wait each; the machine backs off and retries other failures itself.
    const std::uint32_t attempts = resource_version.empty() ? 0 : 1;
    api_.call(
        "GET", path, "", "",
        [this, resource_version](ApiResponse response) {
          if (!running_) return;
          if (!response.ok()) {
            if (!resource_version.empty() &&
                resourceVersionTooLarge(response.status, response.body)) {
              log_->warn(
                  "list {}: the server is behind our resourceVersion {} (was the cluster restored "
                  "from a backup?): {}; listing everything again",
                  options_.collection_path, resource_version, response.describe());
            } else {
              log_->warn("list {} failed: {}", options_.collection_path, response.describe());
            }
            execute(machine_.onListFailed(response.status, response.body, draw()));
            return;
          }
          auto page = decodeListPage(response.body);
          if (!page) {
            log_->warn("list {}: malformed answer: {}", options_.collection_path,
                       page.error().message);
            execute(machine_.onListFailed(0, "", draw()));
            return;
          }
          const auto uid_changes = machine_.counters().uid_changes;
          auto next = machine_.onListPage(std::move(page.value()));
          reportMalformed();
          reportRepairs(uid_changes);
          execute(next);
        },
        attempts);
  }

  void watch(const std::string& resource_version) {
    state_ = "watching";
    const auto span = options_.max_watch_timeout - options_.min_watch_timeout;
    const auto timeout =
        options_.min_watch_timeout +
        std::chrono::seconds(static_cast<long>(draw() * static_cast<double>(span.count())));
    const std::string path =
        options_.collection_path +
        query({"watch=true", "allowWatchBookmarks=true", "resourceVersion=" + resource_version,
               "timeoutSeconds=" + std::to_string(timeout.count())});
    splitter_.reset();
    abandoned_ = false;
    watch_id_ = api_.stream(
        path,
        [this](std::string_view bytes) {
          if (abandoned_) return;
          for (const auto& line : splitter_.feed(bytes)) {
            if (auto relist = machine_.onWatchLine(line)) {
              // 410 Gone inside the stream: drop it and list again.
              abandonWatch();
              reportMalformed();
              execute(*relist);
              return;
            }
          }
          reportMalformed();
        },
        [this](ApiResponse response) {
          watch_id_.reset();
          if (!running_ || abandoned_) return;
          const bool cut = splitter_.pending() > 0;
          const bool clean = response.ok() && response.transport_error.empty() && !cut;
          if (!clean) {
            log_->warn("watch {} ended: {}{}", options_.collection_path, response.describe(),
                       cut ? " (stream cut in the middle of an event)" : "");
          }
          execute(machine_.onWatchEnded(clean, response.status, draw()));
        });
  }

  /// After a complete LIST: what a resync repaired, and objects replaced under their names.
  void reportRepairs(std::uint64_t uid_changes_before) {
    if (auto repair = machine_.takeNewRepairReport(); repair && repair->total() > 0) {
      log_->warn("{}: resync repaired {} difference{} between the cache and the server{}: {}",
                 options_.collection_path, repair->total(), repair->total() == 1 ? "" : "s",
                 repair->went_back ? " (the server's resourceVersion went back)" : "",
                 repair->describe());
    }
    const auto uid_changes = machine_.counters().uid_changes - uid_changes_before;
    if (uid_changes > 0) {
      log_->info("{}: {} object{} replaced by another of the same name (new uid)",
                 options_.collection_path, uid_changes, uid_changes == 1 ? " was" : "s were");
    }
  }

  void reportMalformed() {
    if (auto message = machine_.takeNewMalformedMessage()) {
      log_->warn("{}: skipped a malformed object: {} (counted; logged once per kind of problem)",
                 options_.collection_path, *message);
    }
  }

  ApiClient& api_;
  InformerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  InformerCache<T> cache_;
  ListWatch<T> machine_;
  LineSplitter splitter_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer resync_timer_;
  std::mt19937_64 random_;
  std::optional<HttpClient::RequestId> watch_id_;
  std::optional<ListWatchRequest> pending_;  // the request a backoff wait will send
  bool running_ = false;
  bool abandoned_ = false;
  std::string state_ = "waiting";
};

}  // namespace lbd::k8s
