// The rules for single configuration values: labels, groups, agent ids and
// NATS URLs, and the quoting that puts a bad value into a message.
//
// Private to liboasis. config_settings.cpp applies these rules to values from
// the file and the environment, and the public parse_labels, parse_list and
// is_valid_* in oasis/config.h are built on them; log.cpp shares lower() for
// level and format names. Nothing here reads files or logs.
// Checks that find several problems append one message each to `problems`
// and go on, so that the caller can report them all together.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "oasis/facts.h"

namespace oasis::core {

// True for the ASCII control characters, DEL included.
bool is_control(char c);

// `s` without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);

// `s` with A-Z in lower case; every other byte is kept.
std::string lower(std::string_view s);

// `s` made safe to print: quotes, backslashes, control characters and
// malformed UTF-8 are escaped, and text past `limit` bytes becomes "...".
std::string printable(std::string_view s, size_t limit);

// `s` in double quotes for a message, cut short if it is long.
std::string quote(std::string_view s);

// Splits comma-separated `text` into trimmed items, which point into `text`;
// blank text is no items. An empty item is a problem named by `noun` and its
// position ("URL 2 of 3 is empty"), not by the text around it, which may hold
// credentials (NATS URLs).
std::vector<std::string_view> split_items(std::string_view text,
                                          std::string_view noun,
                                          std::vector<std::string>& problems);

// Adds a problem for each thing wrong with the label `key`=`value`: an empty,
// invalid or repeated key (one already in `seen`), an empty or invalid value.
// `item` is the label as written, for messages.
void check_label(std::string_view key, std::string_view value,
                 std::string_view item, const StringMap& seen,
                 std::vector<std::string>& problems);

// The labels in "key=value,..." `text`; each bad item adds a problem and is
// left out.
StringMap labels_from_text(std::string_view text,
                           std::vector<std::string>& problems);

// The group names among `items`, in order; each invalid or repeated item adds
// a problem and is left out.
std::vector<std::string> groups_from_items(
        const std::vector<std::string_view>& items,
        std::vector<std::string>& problems);

// The URL with any user:password@ hidden, for messages.
std::string redact_url(std::string_view url);

// nats://HOST[:PORT] or tls://HOST[:PORT]; HOST may be an [IPv6] address
// and may follow credentials; a trailing '/' is tolerated.
bool is_nats_url(std::string_view url);

}  // namespace oasis::core
