#pragma once
// Drives an sd-bus connection (through sdbus-c++) from the Asio event loop: waits on the bus fd
// and on sd-bus's own timeout, then lets sdbus-c++ dispatch. Everything D-Bus therefore runs on
// the one loop thread, and adaptors can read daemon state without locks.

#include <memory>
#include <string>

#include <sdbus-c++/IConnection.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/result.h"

namespace lbd::bus {

/// "system" (honours DBUS_SYSTEM_BUS_ADDRESS), "session", or a D-Bus address ("unix:path=...").
Result<std::unique_ptr<sdbus::IConnection>> connectBus(const std::string& which);

class BusLoop {
 public:
  BusLoop(boost::asio::io_context& io, sdbus::IConnection& connection);
  ~BusLoop();
  BusLoop(const BusLoop&) = delete;
  BusLoop& operator=(const BusLoop&) = delete;

  /// Dispatches what is pending and starts waiting for more.
  void start();
  /// Stops waiting; the connection itself stays open.
  void stop();
  /// Call after sending something outside a dispatch (e.g. a signal): sd-bus may have queued
  /// it and now needs to wait for the socket to become writable.
  void wake();

 private:
  void dispatchAndRearm();
  void rearm();

  boost::asio::io_context& io_;
  sdbus::IConnection& connection_;
  boost::asio::posix::stream_descriptor descriptor_;
  boost::asio::steady_timer timer_;
  bool running_ = false;
  bool wake_posted_ = false;
};

}  // namespace lbd::bus
