#include "io/netlink/link_monitor.h"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/rtnl.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <string>

#include "io/netlink/route_message.h"

namespace lbd::netlink {
namespace {

// Datagrams read per wakeup before yielding to the rest of the loop (a burst of thousands of
// notifications must not starve lease renewals).
constexpr int kMaxDatagramsPerWakeup = 64;

std::string describe(int nl_error) {
  return nl_geterror(nl_error);
}

// Inconsistent dumps are repaired by the event replay (see the header): keep the data.
int acceptInterruptedDump(nl_msg*, void*) {
  return NL_OK;
}

void setReceiveBuffer(int fd, int bytes) {
  // SO_RCVBUFFORCE (CAP_NET_ADMIN) ignores net.core.rmem_max; without the capability the
  // plain option still gets up to that cap. Neither failing is fatal: overruns are handled.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

}  // namespace

void LinkMonitor::SocketDeleter::operator()(nl_sock* socket) const {
  nl_socket_free(socket);
}

LinkMonitor::LinkMonitor(boost::asio::io_context& io, ChangeHandler on_change,
                         ErrorHandler on_error, LinkMonitorOptions options)
    : on_change_(std::move(on_change)),
      on_error_(std::move(on_error)),
      options_(options),
      events_descriptor_(io),
      dump_descriptor_(io),
      retry_timer_(io),
      backoff_(options.retry_initial, options.retry_maximum),
      random_(std::random_device{}()) {}

LinkMonitor::~LinkMonitor() {
  stop();
}

Result<void> LinkMonitor::start() {
  if (phase_ != Phase::Stopped) return {};
  backoff_.reset();
  auto opened = open();
  if (!opened) {
    close();
    phase_ = Phase::Stopped;
  }
  return opened;
}

void LinkMonitor::stop() {
  close();
  retry_timer_.cancel();
  phase_ = Phase::Stopped;
}

Result<void> LinkMonitor::open() {
  close();
  working_ = l2::InterfaceTable{};
  message_error_.reset();
  dump_done_ = false;

  // Event socket first: whatever changes from the moment it is subscribed is queued on it, so
  // nothing falls between the subscription and the dump.
  Socket events(nl_socket_alloc());
  Socket dump(nl_socket_alloc());
  if (!events || !dump) return fail("cannot allocate a netlink socket");
  nl_socket_disable_seq_check(events.get());  // notifications carry no sequence of ours
  nl_socket_modify_cb(events.get(), NL_CB_VALID, NL_CB_CUSTOM, &LinkMonitor::onMessage, this);
  if (int err = nl_connect(events.get(), NETLINK_ROUTE); err < 0)
    return fail("cannot open a rtnetlink socket: " + describe(err));
  if (int err = nl_socket_add_memberships(events.get(), RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                          RTNLGRP_IPV6_IFADDR, 0);
      err < 0)
    return fail("cannot subscribe to link and address notifications: " + describe(err));
  setReceiveBuffer(nl_socket_get_fd(events.get()), options_.receive_buffer_bytes);

  nl_socket_modify_cb(dump.get(), NL_CB_VALID, NL_CB_CUSTOM, &LinkMonitor::onMessage, this);
  nl_socket_modify_cb(dump.get(), NL_CB_FINISH, NL_CB_CUSTOM, &LinkMonitor::onDumpDone, this);
  nl_socket_modify_cb(dump.get(), NL_CB_DUMP_INTR, NL_CB_CUSTOM, &acceptInterruptedDump, nullptr);
  if (int err = nl_connect(dump.get(), NETLINK_ROUTE); err < 0)
    return fail("cannot open a rtnetlink socket: " + describe(err));
  for (nl_sock* socket : {events.get(), dump.get()}) {
    if (int err = nl_socket_set_nonblocking(socket); err < 0)
      return fail("cannot make a netlink socket non-blocking: " + describe(err));
  }

  boost::system::error_code error;
  events_descriptor_.assign(nl_socket_get_fd(events.get()), error);
  if (!error) dump_descriptor_.assign(nl_socket_get_fd(dump.get()), error);
  events_ = std::move(events);
  dump_ = std::move(dump);
  if (error) return fail("cannot watch the netlink socket: " + error.message());

  phase_ = Phase::DumpingLinks;
  if (auto sent = requestDump(RTM_GETLINK); !sent) return sent;
  waitDump();
  return {};
}

void LinkMonitor::close() {
  ++generation_;
  // The descriptors belong to libnl (nl_socket_free closes them): release, never close.
  // Releasing also cancels the pending waits.
  if (events_descriptor_.is_open()) events_descriptor_.release();
  if (dump_descriptor_.is_open()) dump_descriptor_.release();
  events_.reset();
  dump_.reset();
}

Result<void> LinkMonitor::requestDump(int message_type) {
  // A short send to the kernel: netlink processes it in the sendmsg() call, it never waits.
  if (int err = nl_rtgen_request(dump_.get(), message_type, AF_UNSPEC, NLM_F_DUMP); err < 0) {
    return fail(std::string("cannot request the ") +
                (message_type == RTM_GETLINK ? "links" : "addresses") + ": " + describe(err));
  }
  return {};
}

void LinkMonitor::waitDump() {
  waitReadable(dump_descriptor_, "the rtnetlink dump", [this] { onDumpReadable(); });
}

void LinkMonitor::waitEvents() {
  waitReadable(events_descriptor_, "rtnetlink events", [this] { onEventsReadable(); });
}

void LinkMonitor::waitReadable(boost::asio::posix::stream_descriptor& descriptor, const char* what,
                               std::function<void()> on_readable) {
  // A wait from before a restart (older generation) must not touch the new sockets.
  descriptor.async_wait(
      boost::asio::posix::descriptor_base::wait_read,
      [this, alive = std::weak_ptr<char>(alive_), generation = generation_, what,
       on_readable = std::move(on_readable)](const boost::system::error_code& error) {
        if (alive.expired() || generation != generation_) return;
        if (error == boost::asio::error::operation_aborted) return;
        if (error) {
          return failAndRetry(
              Error{std::string("waiting for ") + what + " failed: " + error.message()});
        }
        on_readable();
      });
}

void LinkMonitor::onDumpReadable() {
  for (;;) {
    const int err = nl_recvmsgs_default(dump_.get());
    if (message_error_) return failAndRetry(*std::exchange(message_error_, std::nullopt));
    if (err == -NLE_AGAIN) return waitDump();
    if (err < 0) return failAndRetry(Error{"the rtnetlink dump failed: " + describe(err)});
    if (!dump_done_) continue;
    dump_done_ = false;
    if (phase_ == Phase::DumpingLinks) {
      // Addresses after links: an address names its interface by ifindex.
      phase_ = Phase::DumpingAddresses;
      if (auto sent = requestDump(RTM_GETADDR); !sent) return failAndRetry(sent.error());
      continue;
    }
    phase_ = Phase::Live;
    backoff_.reset();
    // Replays what queued up during the dumps, then reports the table.
    return onEventsReadable();
  }
}

void LinkMonitor::onEventsReadable() {
  for (int datagrams = 0; datagrams < kMaxDatagramsPerWakeup; ++datagrams) {
    const int err = nl_recvmsgs_default(events_.get());
    if (message_error_) return failAndRetry(*std::exchange(message_error_, std::nullopt));
    if (err == -NLE_AGAIN) break;
    // libnl maps ENOBUFS (the kernel dropped notifications for us) to NLE_NOMEM.
    if (err == -NLE_NOMEM) return restartAfterOverrun();
    if (err < 0) return failAndRetry(Error{"reading rtnetlink events failed: " + describe(err)});
  }
  waitEvents();
  publish();
}

void LinkMonitor::restartAfterOverrun() {
  ++resyncs_;
  if (auto opened = open(); !opened) failAndRetry(opened.error());
}

void LinkMonitor::failAndRetry(Error error) {
  ++failures_;
  close();
  phase_ = Phase::WaitingToRetry;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  retry_timer_.expires_after(backoff_.next(unit(random_)));
  retry_timer_.async_wait([this, alive = std::weak_ptr<char>(alive_),
                           generation = generation_](const boost::system::error_code& e) {
    if (e || alive.expired() || generation != generation_) return;
    retry();
  });
  on_error_(error);
}

void LinkMonitor::retry() {
  if (auto opened = open(); !opened) failAndRetry(opened.error());
}

void LinkMonitor::publish() {
  if (phase_ != Phase::Live || working_ == published_) return;
  auto events = l2::diffInterfaces(published_, working_);
  published_ = working_;
  on_change_(published_, events);
}

int LinkMonitor::onMessage(nl_msg* message, void* self) {
  auto* monitor = static_cast<LinkMonitor*>(self);
  // Called from libnl's C code: nothing may be thrown through it.
  try {
    auto decoded = decodeRouteMessage(message);
    if (!decoded) {
      monitor->message_error_ = decoded.error();
      return NL_STOP;
    }
    applyRouteMessage(*decoded, monitor->working_);
    return NL_OK;
  } catch (const std::exception& e) {
    monitor->message_error_ = Error{std::string("cannot apply an rtnetlink message: ") + e.what()};
    return NL_STOP;
  }
}

int LinkMonitor::onDumpDone(nl_msg*, void* self) {
  static_cast<LinkMonitor*>(self)->dump_done_ = true;
  return NL_STOP;
}

}  // namespace lbd::netlink
