#include "io/sd/sd_notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

namespace lbd::sd {
namespace {

void notify(const std::string& state) {
  // Errors are deliberately ignored: failing to tell systemd something is not a reason to
  // stop serving, and systemd's own timeouts catch a daemon that never gets READY=1 through.
  sd_notify(0, state.c_str());
}

std::uint64_t monotonicUsec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

SdNotifier::SdNotifier(boost::asio::io_context& io) : watchdog_timer_(io) {}

void SdNotifier::ready(std::string_view status) {
  notify("READY=1\nSTATUS=" + std::string(status));
}

void SdNotifier::status(std::string_view status) {
  notify("STATUS=" + std::string(status));
}

void SdNotifier::reloading() {
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonicUsec()) +
         "\nSTATUS=Reloading configuration");
}

void SdNotifier::stopping() {
  notify("STOPPING=1\nSTATUS=Stopping");
}

void SdNotifier::startWatchdog() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  watchdog_interval_ = std::chrono::microseconds(usec / 2);
  notify("WATCHDOG=1");
  scheduleWatchdog();
}

void SdNotifier::stopWatchdog() {
  watchdog_interval_ = std::chrono::microseconds(0);
  watchdog_timer_.cancel();
}

void SdNotifier::scheduleWatchdog() {
  watchdog_timer_.expires_after(watchdog_interval_);
  watchdog_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || watchdog_interval_.count() == 0) return;
    notify("WATCHDOG=1");
    scheduleWatchdog();
  });
}

}  // namespace lbd::sd
