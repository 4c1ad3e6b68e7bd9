#pragma once
// Typed, located reads from one toml++ table, for the config parser. Every read records the
// key as known; finish() then reports the keys nobody read (typos), with a suggestion when a
// known key is close. Wrong types and bad values become Diagnostics, never exceptions, and
// reading continues so that all problems are reported at once.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/config/diagnostic.h"
#include "core/duration.h"
#include "core/result.h"

namespace lbd {

class TomlReader {
 public:
  /// `path` is the dotted key prefix shown in diagnostics ("kubernetes", "pool[web]").
  TomlReader(const toml::table& table, std::string file, std::string path, Diagnostics& out);

  /// Where the table itself starts (for "missing key" errors).
  SourceLocation where() const;
  SourceLocation where(const toml::node& node) const;
  /// Full key path for diagnostics: path + "." + key.
  std::string keyPath(std::string_view key) const;
  void error(const toml::node* node, std::string_view key, std::string message);

  bool has(std::string_view key) const;
  const toml::node* node(std::string_view key);  // marks the key as known

  /// Each returns true when the key was present and valid (target updated).
  bool string(std::string_view key, std::string& target);
  bool boolean(std::string_view key, bool& target);
  bool integer(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t& target);
  bool number(std::string_view key, double& target);  // integer or float
  bool duration(std::string_view key, Duration& target);
  bool stringList(std::string_view key, std::vector<std::string>& target,
                  std::vector<const toml::node*>* nodes = nullptr);
  /// A string with a fixed set of values; `choices` shown in the error.
  bool choice(std::string_view key, const std::vector<std::string>& choices, std::string& target);
  /// A string validated by `check` (returns an error message or nothing).
  bool checked(std::string_view key, std::string& target,
               const std::function<std::optional<std::string>(const std::string&)>& check);

  /// An array of strings, each validated by `check`; every bad item is reported with its index.
  bool checkedList(std::string_view key, std::vector<std::string>& target,
                   const std::function<std::optional<std::string>(const std::string&)>& check);

  /// Marks keys that are read elsewhere (sub-tables handled by the caller).
  void allow(std::string_view key) { known_.insert(std::string(key)); }
  /// Reports every key in the table that was never read.
  void finish();

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  const toml::table& table_;
  std::string file_;
  std::string path_;
  Diagnostics& out_;
  std::set<std::string, std::less<>> known_;
};

/// "a string", "an integer"... as used in "expected X, got Y".
std::string describeType(const toml::node& node);
/// Damerau-free Levenshtein distance, for "did you mean" suggestions.
std::size_t editDistance(std::string_view a, std::string_view b);

}  // namespace lbd
