// Status and Result<T>: errors as values at module boundaries.
//
// A Status is either ok or carries a code and a human-readable message that
// says what went wrong and, where possible, what to do next. Result<T> holds
// either a value or a non-ok Status (std::expected is C++23).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace oasis {

enum class Code {
    ok = 0,
    invalid_argument,  // bad input from a user or a peer
    not_found,
    conflict,          // compare-and-swap lost, duplicate, already final
    unavailable,       // NATS or a peer cannot be reached now; retrying may help
    timeout,
    permission_denied,
    io_error,
    data_loss,  // stored data is missing or damaged (a digest or size mismatch)
    internal,
};

// The stable lower-case name of a code, used on the wire ("not_found").
const char* code_name(Code code);
// The code for a wire name; internal for anything unknown.
Code code_from_name(std::string_view name);

class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok_status() { return {}; }

    bool ok() const { return code_ == Code::ok; }
    Code code() const { return code_; }
    const std::string& message() const { return message_; }

    // Returns a copy whose message is "context: message".
    Status with_context(std::string_view context) const;

private:
    Code code_ = Code::ok;
    std::string message_;
};

inline Status error(Code code, std::string message) { return {code, std::move(message)}; }

// A failed system call: "what: <strerror(err)>", permission_denied for
// EPERM and EACCES, io_error otherwise.
Status system_error(int err, const std::string& what);

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(v_); }
    const T& value() const& { return std::get<T>(v_); }
    T&& value() && { return std::get<T>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    // The error; an ok Status when this holds a value.
    Status status() const { return ok() ? Status{} : std::get<Status>(v_); }

private:
    std::variant<T, Status> v_;
};

}  // namespace oasis

// Returns early from the enclosing function when `expr` is a non-ok Status.
#define OASIS_RETURN_IF_ERROR(expr)             \
    do {                                        \
        ::oasis::Status oasis_st_ = (expr);     \
        if (!oasis_st_.ok()) return oasis_st_;  \
    } while (0)
