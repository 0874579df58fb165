// What `oasis file apply` is told about a destination, read before any
// node is touched (issue 4, and the users' cases C11 and C12 about modes
// and owners). Pure functions: no file system, no user database.
#pragma once

#include "oasis/status.h"

#include <optional>
#include <string>
#include <string_view>

namespace oasis {

// A file mode from --mode: octal digits, as "644", "0644", "0o644" or with
// special bits "2755"; never decimal (C11: "2755" is setgid, not 5303).
// 1 to 4 octal digits after an optional "0" or "0o"/"0O" prefix, at most
// 07777. invalid_argument naming --mode and the value otherwise (empty,
// "8", "888", "12345", "-1", "u=rw", " 644").
Result<unsigned> parse_mode(std::string_view text);

// A mode as `file history` shows it: four octal digits, e.g. "0644".
std::string format_mode(unsigned mode);

// An owner from --owner "user:group". Each side is a name (POSIX portable:
// [A-Za-z0-9._-], not starting with '-', 1 to 32 bytes) or a numeric id
// (applied as given, even with no passwd entry: C12). Both sides are
// required: "root" (no group) and ":root" are refused rather than guessed
// (C12: never quietly chown to something else).
struct Owner {
    std::string user;   // a name, or empty when uid is set
    std::string group;  // a name, or empty when gid is set
    std::optional<unsigned> uid;
    std::optional<unsigned> gid;
};
Result<Owner> parse_owner(std::string_view text);
// An owner as one spelling: names as given, ids without leading zeros
// ("01:01" is "1:1"), so the same owner makes the same revision.
std::string format_owner(const Owner& owner);

// A destination from --dest: absolute, no NUL or other control byte, no
// empty, "." or ".." component, not ending with '/', at most 4095 bytes.
// Errors start with `what` (the flag or field the path came from).
Status check_destination(std::string_view path, std::string_view what = "--dest");

}  // namespace oasis
