// The settings oasis.toml and OASIS__* variables may set, and the rule that
// checks each one before it is stored in a Config.
//
// Private to liboasis. config.cpp turns a file value or a variable into an
// Input, finds its Setting here and applies it; the setting checks the value
// the same way whichever source it came from. Nothing here reads files,
// parses TOML or logs. A bad value becomes one message in Problems and leaves
// the Config as it was, so that loading goes on and reports every problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oasis/config.h"

namespace oasis::core {

// The line of a problem found in the environment: after every file line.
constexpr size_t kEnvLine = SIZE_MAX;

// Where a value came from, and how a message names it.
struct Origin {
    std::string where;  // "oasis.toml:3" or "OASIS__NATS__URL"
    std::string what;   // "[nats] url" for file values, "" for variables
    size_t line = kEnvLine;
};

// Every problem found while loading, reported together at the end.
class Problems {
public:
    // A finished message, placed at `line` among the others.
    void add(size_t line, std::string text);

    // "oasis.toml:3: [server] name must ..." or "OASIS__SERVER__NAME: must".
    void add(const Origin& origin, std::string_view message);

    // As add(), for one bad item of a list: "[agent] groups: group ...".
    void add_item(const Origin& origin, std::string_view message);

    bool empty() const { return list_.empty(); }

    // An invalid_argument error holding the problems in file order, then the
    // environment's, one per line.
    Status status();

private:
    std::vector<std::pair<size_t, std::string>> list_;
};

// One value as it arrived, before it is checked.
struct Input {
    enum class Kind { string, integer, boolean, array, table, other };

    Kind kind = Kind::string;
    std::string text;                // a string, or an integer or boolean
    std::vector<std::string> items;  // an array of strings
    std::vector<std::pair<std::string, std::string>> pairs;  // a table
    std::string shown;               // the value as a message quotes it
    Origin origin;
};

// Checks `in` and stores it in its field of the Config, or adds a problem.
using Apply = void (*)(const Input&, Config&, Problems&);

// One key of one section, such as [nats] url.
struct Setting {
    std::string_view section;
    std::string_view key;
    Apply apply;
};

// True if `name` is a section of oasis.toml, such as "server".
bool is_section(std::string_view name);

// The setting for `key` in `section`, or nullptr if there is none. The
// pointer stays valid for the life of the process.
const Setting* find_setting(std::string_view section, std::string_view key);

// The message for a section that does not exist, with a hint: a near miss
// ("did you mean ...?") or the list of sections.
std::string unknown_section(std::string_view name);

// The message for a key that `section` (a known section) does not have, with
// a hint as for unknown_section().
std::string unknown_key(std::string_view section, std::string_view key);

}  // namespace oasis::core
