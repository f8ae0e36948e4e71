// Result type used at every fallible boundary: a value or an Error, never an exception.
#pragma once

#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <variant>

namespace bnfc {

enum class ErrorCode {
  kInvalidArgument,  // caller passed something malformed (config, CLI, frame)
  kParse,            // input bytes do not have the expected shape
  kNotFound,
  kPermission,
  kIo,
  kTimeout,
  kUnavailable,  // peer/command not reachable right now; worth retrying
  kProtocol,
  kConflict,  // state disagrees with what was asked (e.g. duplicate, ambiguity)
  kInternal,
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // one human sentence: what is wrong and, if known, what to do

  Error() = default;
  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}

  // "parse: network_ip_interface_list.txt line 3: expected 'Name: value'"
  std::string ToString() const { return std::string(ErrorCodeName(code)) + ": " + message; }
};

// Tag type so that `return Unexpected(...)` reads naturally.
struct Unexpected {
  Error error;
  Unexpected(ErrorCode c, std::string m) : error(c, std::move(m)) {}
  explicit Unexpected(Error e) : error(std::move(e)) {}
};

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}         // NOLINT
  Expected(Unexpected u) : storage_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  Expected(Error e) : storage_(std::in_place_index<1>, std::move(e)) {}             // NOLINT

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Reading the value of an error (or the error of a value) is a programming bug: die loudly.
  T& value() & { return CheckedValue(); }
  const T& value() const& { return const_cast<Expected*>(this)->CheckedValue(); }
  T&& value() && { return std::move(CheckedValue()); }
  T* operator->() { return &CheckedValue(); }
  const T* operator->() const { return &const_cast<Expected*>(this)->CheckedValue(); }
  T& operator*() & { return CheckedValue(); }
  T&& operator*() && { return std::move(CheckedValue()); }
  const T& operator*() const& { return const_cast<Expected*>(this)->CheckedValue(); }

  const Error& error() const {
    if (ok()) {
      Die("Expected::error() called on a value");
    }
    return std::get<1>(storage_);
  }

  T value_or(T fallback) const { return ok() ? std::get<0>(storage_) : std::move(fallback); }

 private:
  T& CheckedValue() {
    if (!ok()) {
      Die("Expected::value() called on an error: " + std::get<1>(storage_).ToString());
    }
    return std::get<0>(storage_);
  }
  [[noreturn]] static void Die(const std::string& why) {
    std::cerr << "fatal: " << why << "\n";
    std::abort();
  }
  std::variant<T, Error> storage_;
};

// Expected<void>: success carries nothing.
struct Ok {};
using Status = Expected<Ok>;
inline Status OkStatus() {
  return Ok{};
}

}  // namespace bnfc
