#include "core/config/toml_reader.h"

#include <algorithm>
#include <limits>

namespace lbd {

std::string describeType(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "nothing";
  }
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

TomlReader::TomlReader(const toml::table& table, std::string file, std::string path,
                       Diagnostics& out)
    : table_(table), file_(std::move(file)), path_(std::move(path)), out_(out) {}

SourceLocation TomlReader::where(const toml::node& node) const {
  const auto& source = node.source();
  return SourceLocation{file_, static_cast<std::uint32_t>(source.begin.line),
                        static_cast<std::uint32_t>(source.begin.column)};
}

SourceLocation TomlReader::where() const {
  return where(table_);
}

std::string TomlReader::keyPath(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  if (key.empty()) return path_;
  return path_ + "." + std::string(key);
}

void TomlReader::error(const toml::node* node, std::string_view key, std::string message) {
  out_.push_back(Diagnostic{node ? where(*node) : where(), keyPath(key), std::move(message)});
}

bool TomlReader::has(std::string_view key) const {
  return table_.contains(key);
}

const toml::node* TomlReader::node(std::string_view key) {
  known_.insert(std::string(key));
  return table_.get(key);
}

bool TomlReader::string(std::string_view key, std::string& target) {
  const toml::node* value = node(key);
  if (!value) return false;
  if (!value->is_string()) {
    error(value, key, "expected a string, got " + describeType(*value));
    return false;
  }
  target = value->as_string()->get();
  return true;
}

bool TomlReader::boolean(std::string_view key, bool& target) {
  const toml::node* value = node(key);
  if (!value) return false;
  if (!value->is_boolean()) {
    error(value, key, "expected a boolean (true or false), got " + describeType(*value));
    return false;
  }
  target = value->as_boolean()->get();
  return true;
}

bool TomlReader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                         std::int64_t& target) {
  const toml::node* value = node(key);
  if (!value) return false;
  if (!value->is_integer()) {
    error(value, key, "expected an integer, got " + describeType(*value));
    return false;
  }
  const std::int64_t number = value->as_integer()->get();
  if (number < min || number > max) {
    error(value, key,
          std::to_string(number) + " is out of range (" + std::to_string(min) + ".." +
              std::to_string(max) + ")");
    return false;
  }
  target = number;
  return true;
}

bool TomlReader::number(std::string_view key, double& target) {
  const toml::node* value = node(key);
  if (!value) return false;
  if (value->is_integer()) {
    target = static_cast<double>(value->as_integer()->get());
    return true;
  }
  if (value->is_floating_point()) {
    target = value->as_floating_point()->get();
    return true;
  }
  error(value, key, "expected a number, got " + describeType(*value));
  return false;
}

bool TomlReader::duration(std::string_view key, Duration& target) {
  const toml::node* value = node(key);
  if (!value) return false;
  if (!value->is_string()) {
    error(value, key,
          "expected a duration string such as \"2s\" or \"500ms\", got " + describeType(*value));
    return false;
  }
  auto parsed = parseDuration(value->as_string()->get());
  if (!parsed) {
    error(value, key, parsed.error().message);
    return false;
  }
  target = parsed.value();
  return true;
}

bool TomlReader::stringList(std::string_view key, std::vector<std::string>& target,
                            std::vector<const toml::node*>* nodes) {
  const toml::node* value = node(key);
  if (!value) return false;
  const toml::array* array = value->as_array();
  if (!array) {
    error(value, key, "expected an array of strings, got " + describeType(*value));
    return false;
  }
  std::vector<std::string> strings;
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    if (!item.is_string()) {
      error(&item, std::string(key) + "[" + std::to_string(i) + "]",
            "expected a string, got " + describeType(item));
      ok = false;
      continue;
    }
    strings.push_back(item.as_string()->get());
    if (nodes) nodes->push_back(&item);
  }
  if (ok) target = std::move(strings);
  return ok;
}

bool TomlReader::choice(std::string_view key, const std::vector<std::string>& choices,
                        std::string& target) {
  std::string value;
  if (!string(key, value)) return false;
  if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
    std::string list;
    for (const auto& c : choices)
      list += (list.empty() ? "\"" : ", \"") + c + "\"";
    error(table_.get(key), key, "\"" + value + "\" is not one of " + list);
    return false;
  }
  target = value;
  return true;
}

bool TomlReader::checked(
    std::string_view key, std::string& target,
    const std::function<std::optional<std::string>(const std::string&)>& check) {
  std::string value;
  if (!string(key, value)) return false;
  if (auto problem = check(value)) {
    error(table_.get(key), key, *problem);
    return false;
  }
  target = value;
  return true;
}

bool TomlReader::checkedList(
    std::string_view key, std::vector<std::string>& target,
    const std::function<std::optional<std::string>(const std::string&)>& check) {
  std::vector<const toml::node*> nodes;
  if (!stringList(key, target, &nodes)) return false;
  bool ok = true;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (auto problem = check(target[i])) {
      error(nodes[i], std::string(key) + "[" + std::to_string(i) + "]", *problem);
      ok = false;
    }
  }
  return ok;
}

void TomlReader::finish() {
  for (const auto& [key, value] : table_) {
    const std::string_view name = key.str();
    if (known_.count(name)) continue;
    std::string message =
        value.is_table() || value.is_array_of_tables() ? "unknown section" : "unknown key";
    std::size_t best = std::numeric_limits<std::size_t>::max();
    std::string suggestion;
    for (const auto& candidate : known_) {
      const std::size_t distance = editDistance(name, candidate);
      if (distance < best) {
        best = distance;
        suggestion = candidate;
      }
    }
    if (best <= 2) message += " (did you mean \"" + suggestion + "\"?)";
    const auto& source = key.source();
    SourceLocation location{file_, static_cast<std::uint32_t>(source.begin.line),
                            static_cast<std::uint32_t>(source.begin.column)};
    if (location.line == 0) location = where(value);
    out_.push_back(Diagnostic{location, keyPath(name), message});
  }
}

}  // namespace lbd
