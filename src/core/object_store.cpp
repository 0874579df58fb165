// ObjectStore: the standard NATS object store layout over the Bus (see the
// header for the layout and the guarantees).
#include "oasis/object_store.h"

#include "oasis/json.h"
#include "oasis/log.h"
#include "oasis/sha256.h"

#include <simdjson.h>
#include <sodium.h>

#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>

namespace oasis {

namespace {

std::string base64url_padded(const unsigned char* bytes, std::size_t len) {
    std::string out(sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes, len, sodium_base64_VARIANT_URLSAFE);
    out.resize(std::strlen(out.c_str()));
    return out;
}

// A fresh chunk subject token: 22 base62 characters, like a NATS nuid.
std::string new_nuid() {
    static constexpr char kDigits[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string id(22, '0');
    for (char& c : id) c = kDigits[randombytes_uniform(62)];
    return id;
}

// A consumer name of our own for one read (no dots).
std::string new_reader_name() {
    return "oasis_obj_" + new_nuid();
}

// Now as RFC 3339 in UTC with nanoseconds, as Go writes a time.
std::string rfc3339_now() {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count();
    std::time_t t = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(nanos));
    return buf;
}

// Digests compare without their '=' padding: other clients may leave it off.
bool same_digest(std::string_view a, std::string_view b) {
    while (!a.empty() && a.back() == '=') a.remove_suffix(1);
    while (!b.empty() && b.back() == '=') b.remove_suffix(1);
    return a == b;
}

// Fills `buf` from `source` until it is full or the source ends.
Result<std::size_t> fill(const ObjectReader& source, std::span<char> buf) {
    std::size_t have = 0;
    while (have < buf.size()) {
        auto n = source(buf.subspan(have));
        if (!n.ok()) return n.status();
        if (*n == 0) break;
        have += *n;
    }
    return have;
}

std::string describe(std::string_view bucket, std::string_view name) {
    return "object \"" + std::string(name.substr(0, 200)) + "\" in bucket " + std::string(bucket);
}

}  // namespace

ObjectReader fd_reader(int fd) {
    return [fd](std::span<char> buf) -> Result<std::size_t> {
        for (;;) {
            ssize_t n = ::read(fd, buf.data(), buf.size());
            if (n >= 0) return static_cast<std::size_t>(n);
            if (errno != EINTR)
                return error(Code::io_error, std::string("read: ") + strerror(errno));
        }
    };
}

ObjectWriter fd_writer(int fd) {
    return [fd](std::string_view bytes) -> Status {
        while (!bytes.empty()) {
            ssize_t n = ::write(fd, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return error(Code::io_error, std::string("write: ") + strerror(errno));
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return {};
    };
}

std::string object_stream(std::string_view bucket) {
    return "OBJ_" + std::string(bucket);
}

std::string object_meta_subject(std::string_view bucket, std::string_view name) {
    return "$O." + std::string(bucket) + ".M." +
           base64url_padded(reinterpret_cast<const unsigned char*>(name.data()), name.size());
}

std::string object_chunk_subject(std::string_view bucket, std::string_view nuid) {
    return "$O." + std::string(bucket) + ".C." + std::string(nuid);
}

Status check_bucket_name(std::string_view bucket) {
    if (bucket.empty() || bucket.size() > kMaxBucketNameBytes)
        return error(Code::invalid_argument,
                     "a bucket name is 1 to 64 characters, not " + std::to_string(bucket.size()));
    for (char c : bucket) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return error(Code::invalid_argument,
                         "bucket name \"" + std::string(bucket) +
                             "\": only letters, digits, '_' and '-' are allowed");
    }
    return {};
}

Status check_object_name(std::string_view name) {
    if (name.empty()) return error(Code::invalid_argument, "an object name cannot be empty");
    if (name.size() > kMaxObjectNameBytes)
        return error(Code::invalid_argument,
                     "an object name is at most 1024 bytes, not " + std::to_string(name.size()));
    if (!is_valid_utf8(name)) return error(Code::invalid_argument, "an object name must be UTF-8");
    return {};
}

std::string encode_object_meta(const ObjectInfo& info) {
    JsonWriter w;
    w.begin_object();
    w.field("name", info.name).field("bucket", info.bucket).field("nuid", info.nuid);
    w.field("size", info.size).field("mtime", rfc3339_now()).field("chunks", info.chunks);
    w.field("digest", info.digest);
    if (info.deleted) w.field("deleted", true);
    w.key("options").begin_object().field("max_chunk_size", info.max_chunk_size).end_object();
    w.end_object();
    return w.take();
}

Result<ObjectInfo> decode_object_meta(std::string_view json) {
    simdjson::dom::parser parser;
    simdjson::dom::object doc;
    if (parser.parse(json.data(), json.size()).get(doc))
        return error(Code::invalid_argument, "object meta: not a JSON object");
    ObjectInfo info;
    for (auto [key, out] : {std::pair{"name", &info.name}, std::pair{"bucket", &info.bucket},
                            std::pair{"nuid", &info.nuid}}) {
        std::string_view v;
        if (doc[key].get(v) || v.empty())
            return error(Code::invalid_argument, std::string("object meta: no ") + key);
        *out = v;
    }
    std::string_view digest;
    if (!doc["digest"].get(digest)) info.digest = digest;
    for (auto [key, out] : {std::pair{"size", &info.size}, std::pair{"chunks", &info.chunks}}) {
        auto field = doc[key];
        if (field.error() == simdjson::NO_SUCH_FIELD) continue;
        if (field.get(*out))
            return error(Code::invalid_argument, std::string("object meta: bad ") + key);
    }
    bool deleted = false;
    if (!doc["deleted"].get(deleted)) info.deleted = deleted;
    std::uint64_t max_chunk = 0;
    if (!doc.at_pointer("/options/max_chunk_size").get(max_chunk)) info.max_chunk_size = max_chunk;
    return info;
}

ObjectStore::ObjectStore(Bus& bus, ObjectStoreOptions options) : bus_(bus), options_(options) {}

Status ObjectStore::ensure_bucket(std::string_view bucket) {
    OASIS_RETURN_IF_ERROR(check_bucket_name(bucket));
    StreamSpec spec;
    spec.name = object_stream(bucket);
    spec.subjects = {"$O." + std::string(bucket) + ".C.>", "$O." + std::string(bucket) + ".M.>"};
    spec.discard_new = true;
    spec.allow_rollup = true;
    return bus_.ensure_stream(spec);
}

Result<ObjectInfo> ObjectStore::read_meta(std::string_view bucket, std::string_view name) {
    OASIS_RETURN_IF_ERROR(check_bucket_name(bucket));
    OASIS_RETURN_IF_ERROR(check_object_name(name));
    auto m = bus_.get_last(object_stream(bucket), object_meta_subject(bucket, name));
    if (!m.ok()) {
        if (m.status().code() == Code::not_found)
            return error(Code::not_found, describe(bucket, name) + " does not exist");
        return m.status().with_context(describe(bucket, name));
    }
    auto info = decode_object_meta(m->data);
    if (!info.ok())
        return error(Code::data_loss, describe(bucket, name) + ": " + info.status().message());
    info->time_ms = m->time_ms;
    return info;
}

Result<ObjectInfo> ObjectStore::info(std::string_view bucket, std::string_view name) {
    auto meta = read_meta(bucket, name);
    if (meta.ok() && meta->deleted)
        return error(Code::not_found, describe(bucket, name) + " was removed");
    return meta;
}

Result<ObjectInfo> ObjectStore::put(std::string_view bucket, std::string_view name,
                                    const ObjectReader& source) {
    // A meta that does not decode must not block its replacement; the
    // chunks it named are then left behind.
    auto previous = read_meta(bucket, name);
    if (!previous.ok() && previous.status().code() != Code::not_found &&
        previous.status().code() != Code::data_loss)
        return previous.status();

    ObjectInfo info;
    info.name = name;
    info.bucket = bucket;
    info.nuid = new_nuid();
    info.max_chunk_size = options_.chunk_size;
    const std::string stream = object_stream(bucket);
    const std::string chunk_subject = object_chunk_subject(bucket, info.nuid);

    // Chunks: a bounded window of un-acked publishes, hashed on the way.
    // Whatever fails, the chunks sent so far are purged once no ack is due.
    auto abandon = [&](const Status& why) -> Status {
        if (Status st = bus_.purge_subject(stream, chunk_subject); !st.ok())
            log::warn("objects", "object.purge_failed",
                      {{"bucket", info.bucket}, {"nuid", info.nuid}, {"detail", st.message()}});
        return why.with_context("put " + describe(bucket, name));
    };
    auto publisher = bus_.start_publishing(options_.window, options_.ack_timeout);
    if (!publisher.ok()) return publisher.status().with_context("put " + describe(bucket, name));
    Sha256 sha;
    std::string buf(options_.chunk_size, '\0');
    for (;;) {
        auto n = fill(source, std::span<char>(buf.data(), buf.size()));
        Status st = n.ok() ? Status{} : n.status();
        if (st.ok() && *n == 0) break;
        std::string_view chunk(buf.data(), n.ok() ? *n : 0);
        if (st.ok()) st = (*publisher)->publish(chunk_subject, chunk);
        if (!st.ok()) {
            (void)(*publisher)->finish(options_.ack_timeout);
            return abandon(st);
        }
        sha.update(chunk);
        info.size += chunk.size();
        ++info.chunks;
    }
    if (Status st = (*publisher)->finish(options_.ack_timeout); !st.ok()) return abandon(st);
    auto digest = sha.finish_object_digest();
    if (!digest.ok()) return abandon(digest.status());
    info.digest = *digest;

    // The meta makes the object visible, replacing the previous one.
    PublishOptions rollup;
    rollup.headers = {{"Nats-Rollup", "sub"}};
    auto seq = bus_.js_publish(object_meta_subject(bucket, name), encode_object_meta(info), rollup);
    if (!seq.ok()) return abandon(seq.status());

    if (previous.ok() && !previous->deleted && previous->nuid != info.nuid) {
        Status st = bus_.purge_subject(stream, object_chunk_subject(bucket, previous->nuid));
        // TODO: the old chunks stay stored when this purge fails; a sweep of
        // chunk subjects no meta names would reclaim them.
        if (!st.ok())
            log::warn(
                "objects", "object.purge_failed",
                {{"bucket", info.bucket}, {"nuid", previous->nuid}, {"detail", st.message()}});
    }
    return info;
}

Result<ObjectInfo> ObjectStore::get(std::string_view bucket, std::string_view name,
                                    const ObjectWriter& sink) {
    auto info = this->info(bucket, name);
    if (!info.ok()) return info.status();

    Sha256 sha;
    std::uint64_t size = 0, chunks = 0;
    auto take = [&](Message&& m) -> Status {
        size += m.data.size();
        ++chunks;
        if (size > info->size || chunks > info->chunks)
            return error(Code::data_loss, "more data stored than its meta says");
        if (options_.verify_digest) sha.update(m.data);
        return sink(m.data);
    };
    if (info->chunks > 0) {
        Status st =
            bus_.read_subject_each(object_stream(bucket), object_chunk_subject(bucket, info->nuid),
                                   1,
                                   options_.reader_name.empty() ? new_reader_name()
                                                                : options_.reader_name,
                                   options_.window, take);
        if (!st.ok()) return st.with_context("get " + describe(bucket, name));
    }

    auto digest = sha.finish_object_digest();
    if (!digest.ok()) return digest.status();
    bool digest_ok = !options_.verify_digest || same_digest(*digest, info->digest);
    if (size != info->size || chunks != info->chunks || !digest_ok) {
        return error(Code::data_loss,
                     "get " + describe(bucket, name) + ": stored data does not match its meta (" +
                         std::to_string(size) + " of " + std::to_string(info->size) + " bytes, " +
                         std::to_string(chunks) + " of " + std::to_string(info->chunks) +
                         " chunks, digest " + (options_.verify_digest ? *digest : "not checked") +
                         " where " + info->digest + " was stored)");
    }
    return info;
}

Status ObjectStore::remove(std::string_view bucket, std::string_view name) {
    auto info = this->info(bucket, name);
    if (!info.ok()) return info.status();
    ObjectInfo gone = *info;
    gone.deleted = true;
    gone.size = 0;
    gone.chunks = 0;
    gone.digest.clear();
    PublishOptions rollup;
    rollup.headers = {{"Nats-Rollup", "sub"}};
    auto seq = bus_.js_publish(object_meta_subject(bucket, name), encode_object_meta(gone), rollup);
    if (!seq.ok()) return seq.status().with_context("remove " + describe(bucket, name));
    return bus_.purge_subject(object_stream(bucket), object_chunk_subject(bucket, info->nuid))
        .with_context("remove " + describe(bucket, name));
}

Result<std::vector<ObjectInfo>> ObjectStore::list(std::string_view bucket) {
    OASIS_RETURN_IF_ERROR(check_bucket_name(bucket));
    std::vector<ObjectInfo> out;
    auto take = [&](Message&& m) -> Status {
        auto info = decode_object_meta(m.data);
        if (!info.ok()) {
            log::warn("objects", "object.meta_unreadable",
                      {{"subject", m.subject}, {"detail", info.status().message()}});
            return {};
        }
        info->time_ms = m.time_ms;
        if (!info->deleted) out.push_back(std::move(*info));
        return {};
    };
    Status st = bus_.read_subject_each(object_stream(bucket), "$O." + std::string(bucket) + ".M.>",
                                       1, new_reader_name(), options_.window, take);
    if (!st.ok()) return st.with_context("list bucket " + std::string(bucket));
    return out;
}

}  // namespace oasis
