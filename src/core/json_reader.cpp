#include "json_reader.h"

#include "oasis/wire.h"

#include <algorithm>

namespace oasis {

namespace {

constexpr std::size_t kMaxDocumentBytes = 16 * 1024 * 1024;

std::string join_path(const std::string& path, std::string_view key) {
    if (path.empty()) return std::string(key);
    return path + "." + std::string(key);
}

}  // namespace

bool ObjectReader::has(std::string_view key) const {
    simdjson::dom::element el;
    if (obj_.at_key(key).get(el) != simdjson::SUCCESS) return false;
    return !el.is_null();
}

void ObjectReader::write_fields(JsonWriter& out,
                                const std::vector<std::string_view>& except) const {
    for (auto field : obj_) {
        if (std::find(except.begin(), except.end(), field.key) != except.end()) continue;
        out.key(field.key).raw(simdjson::minify(field.value));
    }
}

void ObjectReader::fail(std::string_view key, std::string_view what) {
    if (!error_->empty()) return;
    *error_ = "field \"" + join_path(path_, key) + "\": " + std::string(what);
}

Status ObjectReader::status() const {
    if (error_->empty()) return {};
    return error(Code::invalid_argument, *error_);
}

std::optional<simdjson::dom::element> ObjectReader::get(std::string_view key, bool required) {
    simdjson::dom::element el;
    if (obj_.at_key(key).get(el) != simdjson::SUCCESS || el.is_null()) {
        if (required) fail(key, "is required");
        return std::nullopt;
    }
    return el;
}

std::string ObjectReader::str(std::string_view key, bool required, std::size_t max_len) {
    auto el = get(key, required);
    if (!el) return {};
    std::string_view s;
    if (el->get_string().get(s) != simdjson::SUCCESS) {
        fail(key, "expected a string");
        return {};
    }
    if (s.size() > max_len) {
        fail(key, "is longer than " + std::to_string(max_len) + " bytes");
        return {};
    }
    return std::string(s);
}

std::int64_t ObjectReader::int64(std::string_view key, bool required, std::int64_t min,
                                 std::int64_t max, std::int64_t fallback) {
    auto el = get(key, required);
    if (!el) return fallback;
    std::int64_t v = 0;
    if (el->get_int64().get(v) != simdjson::SUCCESS) {
        fail(key, "expected a whole number");
        return fallback;
    }
    if (v < min || v > max) {
        fail(key, "must be from " + std::to_string(min) + " to " + std::to_string(max) +
                      ", got " + std::to_string(v));
        return fallback;
    }
    return v;
}

bool ObjectReader::boolean(std::string_view key, bool fallback) {
    auto el = get(key, false);
    if (!el) return fallback;
    bool v = fallback;
    if (el->get_bool().get(v) != simdjson::SUCCESS) fail(key, "expected true or false");
    return v;
}

std::vector<std::string> ObjectReader::strings(std::string_view key, bool required) {
    std::vector<std::string> out;
    auto el = get(key, required);
    if (!el) return out;
    simdjson::dom::array arr;
    if (el->get_array().get(arr) != simdjson::SUCCESS) {
        fail(key, "expected an array of strings");
        return out;
    }
    for (auto item : arr) {
        std::string_view s;
        if (item.get_string().get(s) != simdjson::SUCCESS) {
            fail(key, "expected an array of strings");
            return {};
        }
        out.emplace_back(s);
    }
    return out;
}

StringMap ObjectReader::string_map(std::string_view key, bool required) {
    StringMap out;
    auto el = get(key, required);
    if (!el) return out;
    simdjson::dom::object o;
    if (el->get_object().get(o) != simdjson::SUCCESS) {
        fail(key, "expected an object of strings");
        return out;
    }
    for (auto [k, v] : o) {
        std::string_view s;
        if (v.get_string().get(s) != simdjson::SUCCESS) {
            fail(key, "expected an object of strings");
            return {};
        }
        out.emplace(std::string(k), std::string(s));
    }
    return out;
}

std::optional<ObjectReader> ObjectReader::object(std::string_view key, bool required) {
    auto el = get(key, required);
    if (!el) return std::nullopt;
    simdjson::dom::object o;
    if (el->get_object().get(o) != simdjson::SUCCESS) {
        fail(key, "expected an object");
        return std::nullopt;
    }
    return ObjectReader(o, join_path(path_, key), error_);
}

std::vector<ObjectReader> ObjectReader::objects(std::string_view key, bool required) {
    std::vector<ObjectReader> out;
    auto el = get(key, required);
    if (!el) return out;
    simdjson::dom::array arr;
    if (el->get_array().get(arr) != simdjson::SUCCESS) {
        fail(key, "expected an array of objects");
        return out;
    }
    std::size_t i = 0;
    for (auto item : arr) {
        simdjson::dom::object o;
        if (item.get_object().get(o) != simdjson::SUCCESS) {
            fail(key, "expected an array of objects");
            return {};
        }
        out.emplace_back(o, join_path(path_, key) + "[" + std::to_string(i++) + "]", error_);
    }
    return out;
}

Result<std::unique_ptr<JsonDocument>> JsonDocument::parse(std::string_view json) {
    if (json.size() > kMaxDocumentBytes)
        return error(Code::invalid_argument, "message is larger than 16 MiB");

    auto doc = std::make_unique<JsonDocument>();
    simdjson::dom::element root;
    if (auto err = doc->parser_.parse(json.data(), json.size()).get(root)) {
        return error(Code::invalid_argument,
                     std::string("malformed JSON: ") + simdjson::error_message(err));
    }
    simdjson::dom::object obj;
    if (root.get_object().get(obj) != simdjson::SUCCESS)
        return error(Code::invalid_argument, "malformed message: expected a JSON object");

    doc->root_.emplace(obj, "", std::make_shared<std::string>());
    ObjectReader& r = *doc->root_;
    std::int64_t api = r.int64("api", true, 1, 1 << 20);
    if (r.failed()) return r.status();
    if (api > wire::kApiVersion) {
        return error(Code::invalid_argument,
                     "message speaks api " + std::to_string(api) + ", this Oasis speaks up to " +
                         std::to_string(wire::kApiVersion) + "; upgrade this side");
    }
    simdjson::dom::object err_obj;
    if (obj.at_key("error").get_object().get(err_obj) == simdjson::SUCCESS) {
        auto e = r.object("error");
        std::string code = e->str("code");
        std::string message = e->str("message");
        if (r.failed()) return r.status();
        Code c = code_from_name(code);
        if (c == Code::ok) c = Code::internal;
        return error(c, message);
    }
    return doc;
}

}  // namespace oasis
