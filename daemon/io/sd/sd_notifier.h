#pragma once
// Tells the service manager how lbd is doing (sd_notify(3)): readiness, a one-line status,
// reloads, stopping and watchdog keep-alives. Every call is a no-op when lbd was not started by
// systemd (NOTIFY_SOCKET unset), so the daemon never needs to know how it was started.

#include <chrono>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace lbd::sd {

class SdNotifier {
 public:
  explicit SdNotifier(boost::asio::io_context& io);

  /// READY=1 with a STATUS= line.
  void ready(std::string_view status);
  /// STATUS= only.
  void status(std::string_view status);
  /// RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload expects); follow with ready().
  void reloading();
  /// STOPPING=1.
  void stopping();
  /// If systemd enabled the watchdog for this process, sends WATCHDOG=1 every half interval
  /// from the event loop: a stuck loop stops the pings and systemd restarts lbd.
  void startWatchdog();
  void stopWatchdog();
  /// The ping interval, or zero when the watchdog is off.
  std::chrono::microseconds watchdogInterval() const { return watchdog_interval_; }

 private:
  void scheduleWatchdog();

  boost::asio::steady_timer watchdog_timer_;
  std::chrono::microseconds watchdog_interval_{0};
};

}  // namespace lbd::sd
