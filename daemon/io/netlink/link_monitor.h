#pragma once
// The links adapter of layer 2: keeps this network namespace's interface table (links and
// their IPv4/IPv6 addresses) current from rtnetlink, on the caller's io_context, never
// blocking.
//
// How the table stays exact:
//   - An event socket subscribes to RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR
//     BEFORE a second socket dumps every link (RTM_GETLINK) and then every address
//     (RTM_GETADDR). Events are not read until both dumps are done, then replayed over the
//     dumped table in arrival order. Each message carries the full state of its object (a link's
//     attributes, an address's presence), so replaying one that the dump already reflects is
//     harmless, and anything that changed during the dump has an event after it. This also
//     repairs a dump the kernel marks inconsistent (NLM_F_DUMP_INTR).
//   - ENOBUFS on the event socket means the kernel dropped notifications (socket overrun): the
//     table can no longer be trusted. Both sockets are reopened (discarding the stale queue, whose
//     older messages could otherwise undo newer state) and everything is dumped again; the
//     callback then reports the difference to what it reported last.
//   - Any other socket error is reported through the error handler and the monitor retries
//     from scratch after a jittered exponential backoff.
// The change handler runs once per batch of messages, only when the table differs from the
// one last reported, and never before the first complete dump.

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/backoff.h"
#include "core/duration.h"
#include "core/l2/interface_events.h"
#include "core/l2/interface_table.h"
#include "core/result.h"

struct nl_sock;
struct nl_msg;

namespace lbd::netlink {

struct LinkMonitorOptions {
  /// SO_RCVBUF of the event socket. Large, because a burst (hundreds of VLANs or addresses
  /// created at once) otherwise overruns it; with CAP_NET_ADMIN the rmem_max cap is bypassed.
  int receive_buffer_bytes = 4 * 1024 * 1024;
  Duration retry_initial = std::chrono::milliseconds(100);
  Duration retry_maximum = std::chrono::seconds(10);
};

class LinkMonitor {
 public:
  /// The table as it is now, and what changed since the previous call (on the first call:
  /// one Added per interface).
  using ChangeHandler = std::function<void(const l2::InterfaceTable& table,
                                           const std::vector<l2::InterfaceEvent>& events)>;
  /// A failure after start(); the monitor retries by itself.
  using ErrorHandler = std::function<void(const Error& error)>;

  LinkMonitor(boost::asio::io_context& io, ChangeHandler on_change, ErrorHandler on_error,
              LinkMonitorOptions options = {});
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  /// Opens the sockets in the calling thread's network namespace (they stay bound to it) and
  /// starts the dumps. Fails when the sockets cannot be opened or subscribed (e.g. no
  /// permission); later failures go to the error handler.
  Result<void> start();
  /// Closes the sockets; no handler runs afterwards. start() may be called again.
  void stop();

  /// The table as last reported to the change handler.
  const l2::InterfaceTable& table() const { return published_; }
  /// True between a complete dump and the next overrun or error.
  bool synchronized() const { return phase_ == Phase::Live; }
  /// Full re-dumps after the event socket overran (ENOBUFS).
  std::uint64_t resyncs() const { return resyncs_; }
  /// Errors reported to the error handler.
  std::uint64_t failures() const { return failures_; }

 private:
  enum class Phase { Stopped, DumpingLinks, DumpingAddresses, Live, WaitingToRetry };
  struct SocketDeleter {
    void operator()(nl_sock* socket) const;
  };
  using Socket = std::unique_ptr<nl_sock, SocketDeleter>;

  Result<void> open();
  void close();
  Result<void> requestDump(int message_type);
  void waitDump();
  void waitEvents();
  void waitReadable(boost::asio::posix::stream_descriptor& descriptor, const char* what,
                    std::function<void()> on_readable);
  void onDumpReadable();
  void onEventsReadable();
  void restartAfterOverrun();
  void failAndRetry(Error error);
  void retry();
  void publish();
  static int onMessage(nl_msg* message, void* self);
  static int onDumpDone(nl_msg* message, void* self);

  ChangeHandler on_change_;
  ErrorHandler on_error_;
  LinkMonitorOptions options_;

  Socket events_;
  Socket dump_;
  boost::asio::posix::stream_descriptor events_descriptor_;
  boost::asio::posix::stream_descriptor dump_descriptor_;
  boost::asio::steady_timer retry_timer_;
  Backoff backoff_;
  std::minstd_rand random_;

  Phase phase_ = Phase::Stopped;
  bool dump_done_ = false;
  std::optional<Error> message_error_;  // set inside libnl callbacks, acted on after them
  // Bumped whenever sockets are opened or closed: a completion queued for an older socket is
  // dropped instead of reading the new one.
  std::uint64_t generation_ = 0;
  // Completions capture a weak reference: after destruction they find it expired.
  std::shared_ptr<char> alive_ = std::make_shared<char>();

  l2::InterfaceTable working_;    // dump + messages applied so far
  l2::InterfaceTable published_;  // what the change handler saw last
  std::uint64_t resyncs_ = 0;
  std::uint64_t failures_ = 0;
};

}  // namespace lbd::netlink
