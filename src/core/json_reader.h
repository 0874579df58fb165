// JsonReader: typed, error-collecting access to a parsed JSON object.
//
// Private to liboasis. Each accessor records a problem ("field \"argv\":
// expected an array of strings") instead of failing at once, so a decoder
// reads every field and reports the first problem through status().
#pragma once

#include "oasis/facts.h"
#include "oasis/json.h"
#include "oasis/status.h"

#include <simdjson.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace oasis {

class ObjectReader {
public:
    ObjectReader(simdjson::dom::object obj, std::string path, std::shared_ptr<std::string> error)
        : obj_(obj), path_(std::move(path)), error_(std::move(error)) {}

    bool has(std::string_view key) const;
    std::string str(std::string_view key, bool required = true, std::size_t max_len = 1 << 20);
    std::int64_t int64(std::string_view key, bool required, std::int64_t min, std::int64_t max,
                       std::int64_t fallback = 0);
    bool boolean(std::string_view key, bool fallback = false);
    std::vector<std::string> strings(std::string_view key, bool required = true);
    StringMap string_map(std::string_view key, bool required = true);
    // The nested object, or nullopt (with a problem recorded if required).
    std::optional<ObjectReader> object(std::string_view key, bool required = true);
    // Each element of the array at `key` that is an object.
    std::vector<ObjectReader> objects(std::string_view key, bool required = true);

    // Writes each field of this object, but those named in `except`, into
    // the open object of `out` as it is: to pass a reply on with additions.
    void write_fields(JsonWriter& out, const std::vector<std::string_view>& except) const;

    void fail(std::string_view key, std::string_view what);
    bool failed() const { return !error_->empty(); }
    Status status() const;

private:
    std::optional<simdjson::dom::element> get(std::string_view key, bool required);

    simdjson::dom::object obj_;
    std::string path_;
    std::shared_ptr<std::string> error_;  // the first problem, shared by nested readers
};

// Owns the parsed document a reader points into.
class JsonDocument {
public:
    // Parses `json`, which must be an object with "api" no newer than ours.
    // A document carrying "error" yields that error as the Status.
    static Result<std::unique_ptr<JsonDocument>> parse(std::string_view json);

    ObjectReader& root() { return *root_; }

private:
    simdjson::dom::parser parser_;
    std::optional<ObjectReader> root_;
};

// Parses `json` and runs `read` (ObjectReader& -> T) on its root; the
// first problem, of the document or of any field, is the Status.
template <typename T, typename F>
Result<T> decode_with(std::string_view json, F read) {
    auto doc = JsonDocument::parse(json);
    if (!doc.ok()) return doc.status();
    ObjectReader& r = (*doc)->root();
    T value = read(r);
    if (r.failed()) return r.status();
    return value;
}

}  // namespace oasis
