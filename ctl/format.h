#pragma once
// Human-friendly values for tables: pool sizes and timestamps.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace lbctl {

/// An exact decimal count as shown in tables: exact up to 999999, then "2^N" for exact powers
/// of two (IPv6 pools) or a short scientific form ("1.8e19").
std::string humanCount(const std::string& decimal);
/// The same count for JSON: an unsigned integer when it fits in 64 bits, else a double.
nlohmann::json jsonCount(const std::string& decimal);
/// "45s", "5min", "3h 2min", "2d 4h".
std::string formatDuration(std::uint64_t seconds);
/// "Tue 2026-11-24 20:00:00 UTC (5min ago)"; "-" for 0.
std::string formatTimestamp(std::uint64_t usec, std::uint64_t now_usec);

}  // namespace lbctl
