#include "oasis/file_spec.h"

#include "oasis/json.h"

#include "config_values.h"

#include <cstdio>

namespace oasis {

namespace {

// Quoted in messages: escaped, and cut short if long.
std::string quoted(std::string_view text) { return core::quote(text); }

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// A user or group name, or a numeric id; `what` names it in errors.
Status read_principal(std::string_view text, const char* what, std::string& name,
                      std::optional<unsigned>& id) {
    if (text.empty())
        return error(Code::invalid_argument, std::string("--owner: the ") + what +
                                                 " is missing; give user:group, e.g. root:root");
    if (all_digits(text)) {
        if (text.size() > 10) return error(Code::invalid_argument,
                                           std::string("--owner: the ") + what + " id " +
                                               quoted(text) + " is too large");
        unsigned long long v = std::stoull(std::string(text));
        if (v > 4294967294ULL)  // (uid_t)-1 means "leave unchanged" to chown
            return error(Code::invalid_argument,
                         std::string("--owner: the ") + what + " id " + quoted(text) +
                             " is too large");
        id = static_cast<unsigned>(v);
        return {};
    }
    bool ok = text.size() <= 32 && text.front() != '-';
    for (char c : text)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-');
    if (!ok)
        return error(Code::invalid_argument,
                     std::string("--owner: ") + quoted(text) + " is not a " + what +
                         " name (1 to 32 of A-Z a-z 0-9 . _ -, not starting with '-') or id");
    name = std::string(text);
    return {};
}

}  // namespace

Result<unsigned> parse_mode(std::string_view text) {
    std::string_view digits = text;
    if (digits.starts_with("0o") || digits.starts_with("0O"))
        digits.remove_prefix(2);
    else if (digits.size() > 1 && digits.front() == '0' && digits.size() <= 5)
        digits.remove_prefix(1);
    bool ok = !digits.empty() && digits.size() <= 4;
    unsigned mode = 0;
    for (char c : digits) {
        ok = ok && c >= '0' && c <= '7';
        mode = mode * 8 + static_cast<unsigned>(c - '0');
    }
    if (!ok)
        return error(Code::invalid_argument,
                     "--mode: " + quoted(text) +
                         " is not an octal file mode; give 1 to 4 octal digits, after 0 or 0o "
                         "if you like: 644, 0644, 0o644 or 2755");
    return mode;
}

std::string format_mode(unsigned mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
    return buf;
}

Result<Owner> parse_owner(std::string_view text) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos)
        return error(Code::invalid_argument,
                     "--owner: " + quoted(text) +
                         " has no group; give user:group, e.g. root:root (names or numeric ids)");
    Owner o;
    OASIS_RETURN_IF_ERROR(read_principal(text.substr(0, colon), "user", o.user, o.uid));
    OASIS_RETURN_IF_ERROR(read_principal(text.substr(colon + 1), "group", o.group, o.gid));
    return o;
}

std::string format_owner(const Owner& owner) {
    std::string user = owner.uid ? std::to_string(*owner.uid) : owner.user;
    std::string group = owner.gid ? std::to_string(*owner.gid) : owner.group;
    return user + ":" + group;
}

Status check_destination(std::string_view path, std::string_view what) {
    auto bad = [&](const std::string& why) {
        return error(Code::invalid_argument, std::string(what) + ": " + quoted(path) + " " + why);
    };
    if (path.empty()) return bad("is empty; give an absolute path, e.g. /etc/app/app.conf");
    if (path.size() > 4095) return bad("is longer than 4095 bytes");
    if (path.front() != '/') return bad("is not absolute; give a path starting with /");
    if (path.back() == '/') return bad("ends with '/'; give the path of a file");
    for (char c : path)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return bad("holds a control character");
    // Requests are JSON, which carries text: other bytes would arrive as
    // U+FFFD, a different path from the one named.
    if (!is_valid_utf8(path)) return bad("is not valid UTF-8; Oasis names files in UTF-8 only");
    for (std::size_t at = 1; at <= path.size();) {
        auto slash = path.find('/', at);
        std::string_view part =
            path.substr(at, slash == std::string_view::npos ? slash : slash - at);
        if (part.empty() || part == "." || part == "..")
            return bad("has an empty, \".\" or \"..\" component; give a plain absolute path");
        if (slash == std::string_view::npos) break;
        at = slash + 1;
    }
    return {};
}

}  // namespace oasis
