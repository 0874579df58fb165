#include "oasis/status.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace oasis {

namespace {

constexpr std::array<std::pair<Code, const char*>, 10> kNames{{
    {Code::ok, "ok"},
    {Code::invalid_argument, "invalid_argument"},
    {Code::not_found, "not_found"},
    {Code::conflict, "conflict"},
    {Code::unavailable, "unavailable"},
    {Code::timeout, "timeout"},
    {Code::permission_denied, "permission_denied"},
    {Code::io_error, "io_error"},
    {Code::data_loss, "data_loss"},
    {Code::internal, "internal"},
}};

}  // namespace

const char* code_name(Code code) {
    for (const auto& [c, name] : kNames)
        if (c == code) return name;
    return "internal";
}

Code code_from_name(std::string_view name) {
    for (const auto& [c, n] : kNames)
        if (name == n) return c;
    return Code::internal;
}

Status Status::with_context(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
}

Status system_error(int err, const std::string& what) {
    Code code = (err == EPERM || err == EACCES) ? Code::permission_denied : Code::io_error;
    return error(code, what + ": " + std::strerror(err));
}

}  // namespace oasis
