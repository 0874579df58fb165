// JsonWriter: builds one compact JSON document into a string.
//
// Strings are written as valid UTF-8 JSON: control characters are escaped and
// bytes that are not UTF-8 become U+FFFD. Binary data that must survive byte
// for byte goes through base64 (see bytes_to_wire in wire.h), not through here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oasis {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();

    // Inside an object: the key of the next value.
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonWriter& value(bool flag);
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(std::uint64_t number);
    JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
    JsonWriter& value(double number);
    JsonWriter& null();
    // Inserts an already-encoded JSON value verbatim; the caller vouches for it.
    JsonWriter& raw(std::string_view json);

    // key(name).value(v) in one call.
    template <typename T>
    JsonWriter& field(std::string_view name, const T& v) {
        key(name);
        return value(v);
    }

    const std::string& str() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    void before_value();

    std::string out_;
    // One entry per open container: true until its first element is written.
    std::vector<bool> first_;
    bool after_key_ = false;
};

// Appends `text` to `out` as a quoted JSON string (see the class comment).
void append_json_string(std::string& out, std::string_view text);

// True when `bytes` is well-formed UTF-8.
bool is_valid_utf8(std::string_view bytes);

// The length (1 to 4) of the well-formed UTF-8 sequence that `bytes` starts
// with, or 0 if it is malformed (overlong, surrogate, past U+10FFFF, cut
// short) or `bytes` is empty.
std::size_t utf8_sequence_length(std::string_view bytes);

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding; false on any malformed input.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace oasis
