#include "format.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace lbctl {
namespace {

// Decimal string -> (double approximation, exact uint64 if it fits).
bool toU64(const std::string& decimal, std::uint64_t& out) {
  if (decimal.empty() || decimal.size() > 20) return false;
  unsigned __int128 value = 0;
  for (char c : decimal) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > UINT64_MAX) return false;
  out = static_cast<std::uint64_t>(value);
  return true;
}

double toDouble(const std::string& decimal) {
  double value = 0;
  for (char c : decimal) {
    if (c < '0' || c > '9') return std::nan("");
    value = value * 10 + (c - '0');
  }
  return value;
}

// Whether `decimal` is exactly 2^n; sets n.
bool powerOfTwo(const std::string& decimal, int& n) {
  // Repeatedly halve the decimal string.
  std::string value = decimal;
  n = 0;
  if (value == "0" || value.empty()) return false;
  while (value != "1") {
    if ((value.back() - '0') % 2 != 0) return false;
    std::string half;
    int carry = 0;
    for (char c : value) {
      const int digit = carry * 10 + (c - '0');
      half.push_back(static_cast<char>('0' + digit / 2));
      carry = digit % 2;
    }
    const auto first = half.find_first_not_of('0');
    value = first == std::string::npos ? "0" : half.substr(first);
    ++n;
  }
  return true;
}

}  // namespace

std::string humanCount(const std::string& decimal) {
  std::uint64_t exact = 0;
  if (toU64(decimal, exact) && exact <= 999999) return decimal;
  int n = 0;
  if (powerOfTwo(decimal, n)) return "2^" + std::to_string(n);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1e", toDouble(decimal));
  std::string text = buffer;  // "1.8e+19" -> "1.8e19"
  if (auto plus = text.find("e+"); plus != std::string::npos) text.erase(plus + 1, 1);
  if (auto zero = text.find("e0"); zero != std::string::npos) text.erase(zero + 1, 1);
  return text;
}

nlohmann::json jsonCount(const std::string& decimal) {
  std::uint64_t exact = 0;
  if (toU64(decimal, exact)) return exact;
  return toDouble(decimal);
}

std::string formatDuration(std::uint64_t seconds) {
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "min";
  if (seconds < 86400)
    return std::to_string(seconds / 3600) + "h " + std::to_string(seconds % 3600 / 60) + "min";
  return std::to_string(seconds / 86400) + "d " + std::to_string(seconds % 86400 / 3600) + "h";
}

std::string formatTimestamp(std::uint64_t usec, std::uint64_t now_usec) {
  if (usec == 0) return "-";
  const std::time_t seconds = static_cast<std::time_t>(usec / 1000000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a %Y-%m-%d %H:%M:%S UTC", &parts);
  std::string text = buffer;
  if (now_usec >= usec) text += " (" + formatDuration((now_usec - usec) / 1000000) + " ago)";
  return text;
}

}  // namespace lbctl
