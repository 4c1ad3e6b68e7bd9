#include "core/duration.h"

#include <cmath>
#include <limits>

namespace lbd {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t milliseconds;
};
constexpr Unit kUnitsLargestFirst[] = {{"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};

}  // namespace

Result<Duration> parseDuration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty())
    return fail("\"\" is not a duration: it is empty (write e.g. \"2s\" or \"500ms\")");
  if (text.front() == '-') return fail(quoted + " is not a duration: it must not be negative");
  if (text.front() == '+') return fail(quoted + " is not a duration: no sign allowed");
  double total = 0;
  int last_unit_rank = -1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t number_start = pos;
    while (pos < text.size() && ((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.'))
      ++pos;
    const std::string_view number = text.substr(number_start, pos - number_start);
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) {
      return fail(quoted + " is not a duration: expected a number at \"" +
                  std::string(text.substr(number_start)) + "\"");
    }
    const std::size_t unit_start = pos;
    while (pos < text.size() && !((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.'))
      ++pos;
    const std::string_view unit = text.substr(unit_start, pos - unit_start);
    if (unit.empty()) {
      return fail(quoted + " is not a duration: \"" + std::string(number) +
                  "\" has no unit (use h, m, s or ms)");
    }
    int rank = -1;
    std::int64_t scale = 0;
    // Ranks in decreasing size: h=0, m=1, s=2, ms=3.
    if (unit == "h")
      rank = 0, scale = 3600000;
    else if (unit == "m")
      rank = 1, scale = 60000;
    else if (unit == "s")
      rank = 2, scale = 1000;
    else if (unit == "ms")
      rank = 3, scale = 1;
    if (rank < 0) {
      return fail(quoted + " is not a duration: unknown unit \"" + std::string(unit) +
                  "\" (use h, m, s or ms)");
    }
    if (rank <= last_unit_rank) {
      return fail(quoted + " is not a duration: units must go from larger to smaller, each once");
    }
    last_unit_rank = rank;
    total += std::stod(std::string(number)) * static_cast<double>(scale);
  }
  if (total > static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2)) {
    return fail(quoted + " is not a duration: it is too long");
  }
  const double rounded = std::round(total);
  if (std::fabs(rounded - total) > 1e-6) {
    return fail(quoted + " is not a duration: lbd counts whole milliseconds");
  }
  return Duration(static_cast<Duration::rep>(rounded));
}

std::string formatDuration(Duration duration) {
  std::int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string text;
  if (ms < 0) {
    text = "-";
    ms = -ms;
  }
  for (const auto& unit : kUnitsLargestFirst) {
    if (ms >= unit.milliseconds) {
      text += std::to_string(ms / unit.milliseconds) + std::string(unit.name);
      ms %= unit.milliseconds;
    }
  }
  return text;
}

}  // namespace lbd
