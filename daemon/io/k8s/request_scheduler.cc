#include "io/k8s/request_scheduler.h"

#include <boost/asio/post.hpp>

namespace lbd::k8s {

using Clock = std::chrono::steady_clock;

struct RequestScheduler::Entry {
  RequestClass request_class;
  BuildRequest build;
  ResponseCallback done;
  std::uint32_t attempts = 0;      // 5xx and transport failures so far
  std::uint32_t max_attempts = 1;  // of those, before the failure is final
  std::uint32_t refusals = 0;      // 429s so far
  std::optional<Backoff> backoff;  // made at the first failure: most requests never need one
  std::string sent_line;           // "METHOD path" of the last send, for stats
};

namespace {

bool retryable(const ApiResponse& response) {
  return response.status == 0 || response.status >= 500;
}

ApiResponse droppedResponse(std::string why) {
  ApiResponse response;
  response.dropped = true;
  response.transport_error = std::move(why);
  return response;
}

}  // namespace

RequestScheduler::RequestScheduler(boost::asio::io_context& io, RequestSchedulerOptions options,
                                   Send send)
    : io_(io),
      options_(options),
      send_(std::move(send)),
      policy_(options.limits, Clock::now()),
      wake_(io),
      random_(std::random_device{}()) {}

RequestScheduler::~RequestScheduler() {
  *alive_ = false;
}

void RequestScheduler::submit(RequestClass request_class, BuildRequest build, ResponseCallback done,
                              std::uint32_t max_attempts) {
  auto& queue = queues_[index(request_class)];
  if (queue.size() >= options_.max_queued[index(request_class)]) {
    ++stats_[index(request_class)].dropped;
    if (done) {
      boost::asio::post(io_, [alive = alive_, done = std::move(done)] {
        if (*alive) done(droppedResponse("not sent: too many requests queued"));
      });
    }
    return;
  }
  auto entry = std::make_shared<Entry>();
  entry->request_class = request_class;
  entry->build = std::move(build);
  entry->done = std::move(done);
  entry->max_attempts = max_attempts > 0 ? max_attempts : options_.max_attempts;
  queue.push_back(std::move(entry));
  pump();
}

void RequestScheduler::pump() {
  // A callback run from here (a dropped request's `done`) may submit more: the loop below
  // picks those up, so nested calls only add to the queues.
  if (pumping_) return;
  pumping_ = true;
  for (;;) {
    DispatchPolicy::Waiting waiting{};
    for (const RequestClass c : kRequestClassesInOrder)
      waiting[index(c)] = !queues_[index(c)].empty();
    const auto chosen = policy_.next(waiting, Clock::now());
    if (!chosen) break;
    auto& queue = queues_[index(*chosen)];
    std::shared_ptr<Entry> entry = std::move(queue.front());
    queue.pop_front();
    std::optional<OutgoingRequest> request = entry->build();
    if (!request) {
      ++stats_[index(*chosen)].fenced;
      if (entry->done) entry->done(droppedResponse("not sent: the decision no longer holds"));
      continue;
    }
    policy_.started(*chosen);
    ++stats_[index(*chosen)].sent;
    entry->sent_line = request->method + " " + request->path.substr(0, request->path.find('?'));
    send_(*request, [this, alive = alive_, entry](ApiResponse response) {
      if (*alive) answer(entry, std::move(response));
    });
  }
  pumping_ = false;
  armWake();
}

void RequestScheduler::armWake() {
  DispatchPolicy::Waiting waiting{};
  for (const RequestClass c : kRequestClassesInOrder)
    waiting[index(c)] = !queues_[index(c)].empty();
  const auto at = policy_.wakeAt(waiting, Clock::now());
  if (!at || (wake_at_ && *wake_at_ <= *at && *wake_at_ > Clock::now())) return;
  wake_at_ = *at;
  wake_.expires_at(*at);
  wake_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (error || !*alive) return;
    wake_at_.reset();
    pump();
  });
}

void RequestScheduler::answer(std::shared_ptr<Entry> entry, ApiResponse response) {
  const RequestClass request_class = entry->request_class;
  policy_.finished(request_class);
  if (response.status == 429) {
    // API Priority and Fairness refused it: the whole class waits as the server asked (the
    // recorded kube-apiserver sends "Retry-After: 1"), and this request goes first after.
    auto& stats = stats_[index(request_class)];
    ++stats.refused;
    last_refused_at_ = std::chrono::system_clock::now();
    last_refused_ = entry->sent_line + " (" + std::string(toString(request_class)) + ")";
    const auto hold =
        response.retry_after.count() > 0 ? response.retry_after : std::chrono::milliseconds(1000);
    policy_.throttle(request_class, Clock::now() + hold);
    if (++entry->refusals < options_.max_refusals) {
      requeue(std::move(entry), true);
      pump();
      return;
    }
  } else if (retryable(response) && ++entry->attempts < entry->max_attempts) {
    if (!entry->backoff) {
      entry->backoff.emplace(std::chrono::milliseconds(200), std::chrono::milliseconds(10000));
    }
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto delay = entry->backoff->next(unit(random_));
    if (response.retry_after.count() > 0) delay = response.retry_after;
    ++retrying_[index(request_class)];
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
    timer->async_wait(
        [this, alive = alive_, timer, entry](const boost::system::error_code&) mutable {
          if (!*alive) return;
          --retrying_[index(entry->request_class)];
          requeue(std::move(entry), false);
          pump();
        });
    pump();
    return;
  }
  finish(entry, std::move(response));
  pump();
}

void RequestScheduler::requeue(std::shared_ptr<Entry> entry, bool front) {
  auto& queue = queues_[index(entry->request_class)];
  if (front) {
    queue.push_front(std::move(entry));
  } else {
    queue.push_back(std::move(entry));
  }
}

void RequestScheduler::finish(const std::shared_ptr<Entry>& entry, ApiResponse response) {
  // Failed = the server could not or would not serve it (after retries); a 404 or 409 is an
  // answer its caller acts on (read again, create instead), not a failure of the API.
  if (retryable(response) || response.status == 429) ++stats_[index(entry->request_class)].failed;
  if (entry->done) entry->done(std::move(response));
}

RequestQueueStats RequestScheduler::stats() const {
  RequestQueueStats stats;
  const auto now = Clock::now();
  for (const RequestClass c : kRequestClassesInOrder) {
    RequestClassStats row = stats_[index(c)];
    row.queued = queues_[index(c)].size() + retrying_[index(c)];
    row.in_flight = policy_.inFlight(c);
    stats.classes[index(c)] = row;
    if (policy_.throttled(c, now)) stats.throttled = true;
  }
  stats.last_refused_at = last_refused_at_;
  stats.last_refused = last_refused_;
  return stats;
}

}  // namespace lbd::k8s
