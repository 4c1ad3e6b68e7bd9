#pragma once
// Result<T, E>: the small subset of std::expected (C++23) that lbd needs. g++ 12 and clang 14
// in C++20 mode have no <expected>. Untrusted input is reported through Result, never by
// throwing, so the data plane cannot be brought down by a bad packet or object.

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace lbd {

/// A plain error: one human-readable sentence, no trailing period.
struct Error {
  std::string message;
  bool operator==(const Error&) const = default;
};

/// Wraps an error value so it can be returned where a Result<T, E> is expected.
template <class E>
struct Unexpected {
  E error;
};

template <class E>
Unexpected(E) -> Unexpected<E>;

/// Shorthand for `return fail("...")` in functions returning Result<T> (E = Error).
inline Unexpected<Error> fail(std::string message) {
  return {Error{std::move(message)}};
}

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(const T& value) : state_(std::in_place_index<0>, value) {}
  Result(T&& value) : state_(std::in_place_index<0>, std::move(value)) {}
  template <class G>
  requires std::is_constructible_v<E, G> Result(Unexpected<G> unexpected)
      : state_(std::in_place_index<1>, std::move(unexpected.error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  E& error() & {
    assert(!ok());
    return std::get<1>(state_);
  }
  const E& error() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  E&& error() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return ok() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <class G>
  requires std::is_constructible_v<E, G> Result(Unexpected<G> unexpected)
      : error_(std::move(unexpected.error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const& {
    assert(!ok_);
    return error_;
  }
  E&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace lbd
