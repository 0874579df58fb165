// Pieces of the wire codecs shared by the codecs of wire.h, audit.h and
// file_wire.h. Private to liboasis.
#pragma once

#include "json_reader.h"
#include "oasis/json.h"
#include "oasis/wire.h"

#include <optional>
#include <string_view>
#include <vector>

namespace oasis::wire {

// Far beyond any real clock or count: the upper bound of decoded times.
inline constexpr std::int64_t kMaxTime = std::int64_t{1} << 52;

// Opens the payload's object and writes "api".
JsonWriter& begin(JsonWriter& w);
void write_strings(JsonWriter& w, std::string_view key, const std::vector<std::string>& items);
void write_map(JsonWriter& w, std::string_view key, const StringMap& map);
// The fields of a batch, into an open object.
void write_batch(JsonWriter& w, const Batch& v);
// "batch": {...} and "offline": [...], the reply to a request that
// started a batch, into an open object.
void write_started(JsonWriter& w, const Batch& batch, const std::vector<std::string>& offline);
// "file": {...}, into an open object.
void write_file_write(JsonWriter& w, const FileWrite& v);

Batch read_batch(ObjectReader& r);
// "mode": "0644" (format_mode; any form parse_mode takes), when present.
std::optional<unsigned> read_mode(ObjectReader& r);
// The "file" object of `parent`; nullopt when absent (a problem recorded
// when required).
std::optional<FileWrite> read_file_write(ObjectReader& parent, bool required);

}  // namespace oasis::wire
