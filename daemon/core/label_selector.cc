#include "core/label_selector.h"

#include <algorithm>
#include <cctype>

namespace lbd {
namespace {

bool alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
bool isQualifiedNamePart(std::string_view text) {
  if (text.empty() || text.size() > 63 || !alnum(text.front()) || !alnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// RFC 1123 subdomain: lower-case labels of [a-z0-9-] joined by '.', at most 253 characters.
bool isDnsSubdomain(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t dot = text.find('.', start);
    const std::string_view label = text.substr(start, dot == text.npos ? text.npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    if (dot == text.npos) break;
    start = dot + 1;
  }
  return true;
}

Result<void> checkKey(std::string_view key) {
  const auto slash = key.find('/');
  std::string_view name = key;
  if (slash != std::string_view::npos) {
    const std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!isDnsSubdomain(prefix)) {
      return fail("invalid label key \"" + std::string(key) + "\": prefix \"" +
                  std::string(prefix) + "\" is not a DNS subdomain");
    }
  }
  if (!isQualifiedNamePart(name)) {
    return fail("invalid label key \"" + std::string(key) +
                "\": the name must be 1-63 characters of [A-Za-z0-9-_.], starting and ending "
                "alphanumeric");
  }
  return {};
}

Result<void> checkValue(std::string_view value) {
  if (value.empty() || isQualifiedNamePart(value)) return {};
  return fail("invalid label value \"" + std::string(value) +
              "\": at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric");
}

// A hand-written scanner: the grammar is small and the error messages matter more than
// generality.
class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  Result<std::vector<LabelSelector::Requirement>> parse() {
    std::vector<LabelSelector::Requirement> requirements;
    skipSpaces();
    if (pos_ == text_.size()) return requirements;
    while (true) {
      auto requirement = parseRequirement();
      if (!requirement) return Unexpected{requirement.error()};
      requirements.push_back(std::move(requirement.value()));
      skipSpaces();
      if (pos_ == text_.size()) break;
      if (text_[pos_] != ',') return error("expected ',' or the end");
      ++pos_;
    }
    return requirements;
  }

 private:
  Unexpected<Error> error(const std::string& what) const {
    return fail("invalid label selector \"" + std::string(text_) + "\": " + what + " at position " +
                std::to_string(pos_ + 1));
  }

  void skipSpaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ')
      ++pos_;
  }

  static bool wordChar(char c) { return alnum(c) || c == '-' || c == '_' || c == '.' || c == '/'; }

  std::string_view word() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && wordChar(text_[pos_]))
      ++pos_;
    return text_.substr(start, pos_ - start);
  }

  Result<LabelSelector::Requirement> parseRequirement() {
    using Op = LabelSelector::Operator;
    LabelSelector::Requirement requirement;
    skipSpaces();
    bool negated = false;
    if (pos_ < text_.size() && text_[pos_] == '!') {
      negated = true;
      ++pos_;
      skipSpaces();
    }
    const std::string_view key = word();
    if (key.empty()) return error("expected a label key");
    if (auto checked = checkKey(key); !checked) return Unexpected{checked.error()};
    requirement.key = std::string(key);
    skipSpaces();
    if (negated) {
      requirement.op = Op::DoesNotExist;
      return requirement;
    }
    if (pos_ == text_.size() || text_[pos_] == ',') {
      requirement.op = Op::Exists;
      return requirement;
    }
    if (text_.compare(pos_, 2, "==") == 0) {
      requirement.op = Op::Equals;
      pos_ += 2;
    } else if (text_.compare(pos_, 2, "!=") == 0) {
      requirement.op = Op::NotEquals;
      pos_ += 2;
    } else if (text_[pos_] == '=') {
      requirement.op = Op::Equals;
      ++pos_;
    } else {
      const std::string_view keyword = word();
      if (keyword == "in") {
        requirement.op = Op::In;
      } else if (keyword == "notin") {
        requirement.op = Op::NotIn;
      } else {
        return error("expected '=', '==', '!=', 'in' or 'notin' after \"" + std::string(key) +
                     "\"");
      }
      return parseSet(std::move(requirement));
    }
    skipSpaces();
    const std::string_view value = word();
    if (auto checked = checkValue(value); !checked) return Unexpected{checked.error()};
    requirement.values.emplace_back(value);
    return requirement;
  }

  Result<LabelSelector::Requirement> parseSet(LabelSelector::Requirement requirement) {
    skipSpaces();
    if (pos_ >= text_.size() || text_[pos_] != '(') return error("expected '('");
    ++pos_;
    while (true) {
      skipSpaces();
      const std::string_view value = word();
      if (auto checked = checkValue(value); !checked) return Unexpected{checked.error()};
      requirement.values.emplace_back(value);
      skipSpaces();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ')') {
        ++pos_;
        break;
      }
      return error("expected ',' or ')' in the value set");
    }
    std::sort(requirement.values.begin(), requirement.values.end());
    requirement.values.erase(std::unique(requirement.values.begin(), requirement.values.end()),
                             requirement.values.end());
    return requirement;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  auto requirements = SelectorParser(text).parse();
  if (!requirements) return Unexpected{requirements.error()};
  LabelSelector selector;
  selector.requirements_ = std::move(requirements.value());
  std::stable_sort(selector.requirements_.begin(), selector.requirements_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  return selector;
}

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& requirement : requirements_) {
    const auto it = labels.find(requirement.key);
    const bool present = it != labels.end();
    const auto& values = requirement.values;
    const bool listed =
        present && std::find(values.begin(), values.end(), it->second) != values.end();
    switch (requirement.op) {
      case Operator::Equals:
      case Operator::In:
        if (!listed) return false;
        break;
      case Operator::NotEquals:
      case Operator::NotIn:
        if (listed) return false;  // an absent label matches, as in Kubernetes
        break;
      case Operator::Exists:
        if (!present) return false;
        break;
      case Operator::DoesNotExist:
        if (present) return false;
        break;
    }
  }
  return true;
}

std::string LabelSelector::toString() const {
  std::string text;
  for (const auto& requirement : requirements_) {
    if (!text.empty()) text += ',';
    switch (requirement.op) {
      case Operator::Equals:
        text += requirement.key + "=" + requirement.values.front();
        break;
      case Operator::NotEquals:
        text += requirement.key + "!=" + requirement.values.front();
        break;
      case Operator::In:
      case Operator::NotIn: {
        text += requirement.key + (requirement.op == Operator::In ? " in (" : " notin (");
        for (std::size_t i = 0; i < requirement.values.size(); ++i) {
          text += (i ? "," : "") + requirement.values[i];
        }
        text += ")";
        break;
      }
      case Operator::Exists:
        text += requirement.key;
        break;
      case Operator::DoesNotExist:
        text += "!" + requirement.key;
        break;
    }
  }
  return text;
}

}  // namespace lbd
