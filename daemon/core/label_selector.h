#pragma once
// Kubernetes label selectors in their text form, as `kubectl -l` takes them:
//   "app=web,tier in (front,back),!canary,env!=dev,release"
// Used for pool service/namespace selectors and node selectors. The empty selector matches
// everything (as in Kubernetes).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lbd {

using Labels = std::map<std::string, std::string, std::less<>>;

class LabelSelector {
 public:
  enum class Operator { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };
  struct Requirement {
    std::string key;
    Operator op = Operator::Exists;
    std::vector<std::string> values;  // sorted, for In/NotIn; one value for (Not)Equals
    bool operator==(const Requirement&) const = default;
  };

  /// Matches everything.
  LabelSelector() = default;
  /// Parses the kubectl text form; keys and values are validated as Kubernetes does
  /// (qualified names; values of <= 63 characters of [A-Za-z0-9._-] starting and ending
  /// alphanumeric).
  static Result<LabelSelector> parse(std::string_view text);

  bool empty() const { return requirements_.empty(); }
  bool matches(const Labels& labels) const;
  const std::vector<Requirement>& requirements() const { return requirements_; }
  /// Canonical text: requirements sorted by key, e.g. "app=web,tier in (back,front)".
  std::string toString() const;

  bool operator==(const LabelSelector&) const = default;

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace lbd
