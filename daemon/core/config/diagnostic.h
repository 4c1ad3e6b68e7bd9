#pragma once
// A configuration problem, located precisely enough to fix without guessing.

#include <cstdint>
#include <string>
#include <vector>

namespace lbd {

struct SourceLocation {
  std::string file;
  std::uint32_t line = 0;    // 1-based; 0 when unknown (e.g. the file cannot be read)
  std::uint32_t column = 0;  // 1-based; 0 when unknown
  bool operator==(const SourceLocation&) const = default;
};

struct Diagnostic {
  SourceLocation where;
  std::string key;      // dotted path, e.g. "pool[web].addresses[1]"; empty for file-level errors
  std::string message;  // what is wrong, lower-case sentence without trailing period

  /// "FILE:LINE:COLUMN: KEY: MESSAGE" (LINE/COLUMN and KEY omitted when unknown/empty).
  std::string toString() const;
  bool operator==(const Diagnostic&) const = default;
};

using Diagnostics = std::vector<Diagnostic>;

/// All diagnostics, one per line, in the order given.
std::string toString(const Diagnostics& diagnostics);

}  // namespace lbd
