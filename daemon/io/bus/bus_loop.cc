#include "io/bus/bus_loop.h"

#include <poll.h>

#include <sdbus-c++/Error.h>
#include <sdbus-c++/IConnection.h>
#include <boost/asio/post.hpp>
#include <cstdint>
#include <limits>

namespace lbd::bus {

Result<std::unique_ptr<sdbus::IConnection>> connectBus(const std::string& which) {
  try {
    if (which == "system") return sdbus::createSystemBusConnection();
    if (which == "session") return sdbus::createSessionBusConnection();
    return sdbus::createSessionBusConnectionWithAddress(which);
  } catch (const sdbus::Error& error) {
    return fail("cannot connect to the " +
                (which == "system" || which == "session" ? which + " bus" : "bus at " + which) +
                ": " + error.getMessage());
  }
}

BusLoop::BusLoop(boost::asio::io_context& io, sdbus::IConnection& connection)
    : io_(io), connection_(connection), descriptor_(io), timer_(io) {}

BusLoop::~BusLoop() {
  stop();
  // The fd belongs to sd-bus: give it back instead of letting Asio close it.
  if (descriptor_.is_open()) descriptor_.release();
}

void BusLoop::start() {
  running_ = true;
  dispatchAndRearm();
}

void BusLoop::stop() {
  running_ = false;
  boost::system::error_code ignored;
  if (descriptor_.is_open()) descriptor_.cancel(ignored);
  timer_.cancel();
}

void BusLoop::wake() {
  if (!running_ || wake_posted_) return;
  wake_posted_ = true;
  boost::asio::post(io_, [this] {
    wake_posted_ = false;
    if (running_) dispatchAndRearm();
  });
}

void BusLoop::dispatchAndRearm() {
  // processPendingRequest() handles one message per call; drain so a burst of calls is not
  // answered one loop iteration at a time.
  while (running_ && connection_.processPendingRequest()) {
  }
  if (running_) rearm();
}

void BusLoop::rearm() {
  const auto poll = connection_.getEventLoopPollData();
  if (!descriptor_.is_open() || descriptor_.native_handle() != poll.fd) {
    if (descriptor_.is_open()) descriptor_.release();
    descriptor_.assign(poll.fd);
  }
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
  timer_.cancel();

  auto on_ready = [this](const boost::system::error_code& error) {
    if (error == boost::asio::error::operation_aborted || !running_) return;
    dispatchAndRearm();
  };
  const auto wait_type = (poll.events & POLLOUT) ? boost::asio::posix::descriptor_base::wait_write
                                                 : boost::asio::posix::descriptor_base::wait_read;
  descriptor_.async_wait(wait_type, on_ready);

  if (poll.timeout_usec != std::numeric_limits<std::uint64_t>::max()) {
    // sd-bus reports an absolute CLOCK_MONOTONIC deadline; steady_clock is CLOCK_MONOTONIC.
    timer_.expires_at(std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::microseconds(poll.timeout_usec))));
    timer_.async_wait(on_ready);
  }
}

}  // namespace lbd::bus
