// ObjectStore: files of any size in JetStream, in the layout of the standard
// NATS object store, so stock NATS tooling (`nats object ls/get`) can list
// and read what Oasis stores (docs/architecture.md, "Object store").
//
// A bucket is the stream OBJ_<bucket> with the subjects $O.<bucket>.C.> and
// $O.<bucket>.M.>. An object is its chunks, on $O.<bucket>.C.<nuid> (a fresh
// nuid on every put), and one meta message, on
// $O.<bucket>.M.<base64url(name), padded>, published with `Nats-Rollup: sub`
// so only the newest meta per name is kept:
//
//   {"name":"a","bucket":"files","nuid":"...","size":5,"chunks":1,
//    "mtime":"...","digest":"SHA-256=<base64url, padded>",
//    "options":{"max_chunk_size":131072}}
//
// Memory is bounded whatever the object's size: a put holds at most
// `window` chunks waiting for their acks, a get at most `window` chunks
// delivered but not yet handed to the sink.
//
// Nothing is half-written: a put stores the meta only after every chunk
// was acknowledged, and purges its chunks when anything fails before that.
// A get checks size, chunk count and digest at the end; the sink has then
// seen the bytes already, so a sink writes to a temporary file and keeps
// it only when get succeeds.
//
// Thread safety: an ObjectStore holds no state of its own besides options;
// its methods may run concurrently (on different objects: two puts of one
// name race, and the later meta wins; the loser's chunks are then orphaned).
#pragma once

#include "oasis/bus.h"
#include "oasis/status.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oasis {

// Reads up to buf.size() bytes into buf: the count read, 0 at the end, or
// an error that aborts the put.
using ObjectReader = std::function<Result<std::size_t>(std::span<char> buf)>;
// Takes the next bytes of an object; an error aborts the get.
using ObjectWriter = std::function<Status(std::string_view bytes)>;

// A reader over a file descriptor (borrowed: the caller closes it) and a
// writer to one (every byte written, EINTR retried).
ObjectReader fd_reader(int fd);
ObjectWriter fd_writer(int fd);

struct ObjectInfo {
    std::string name;
    std::string bucket;
    std::string nuid;  // the token of its chunk subject
    std::uint64_t size = 0;
    std::uint64_t chunks = 0;
    std::string digest;  // "SHA-256=<base64url, padded>"
    std::uint64_t max_chunk_size = 0;
    bool deleted = false;
    std::int64_t time_ms = 0;  // when the meta was stored (stream time)
};

struct ObjectStoreOptions {
    std::size_t chunk_size = 128 * 1024;
    // Chunks in flight: un-acked publishes on put, un-acked deliveries on
    // get. Memory is about window * chunk_size for each.
    std::size_t window = 32;
    // How long a publish may wait for room in the window, and the end of a
    // put for its last acks.
    std::chrono::milliseconds ack_timeout{10000};
    // The consumer a get reads chunks through (no dots); empty: a fresh
    // name per read. A fixed name lets NATS permissions confine a reader
    // (an agent) to creating that one consumer.
    std::string reader_name;
    // Whether get() hashes what it reads and compares it with the meta's
    // digest. Off only for a sink that checks the bytes against a digest
    // it trusts more (the agent's writer checks the task's, which the
    // server signed): SHA-256 twice is a third of a fetch's CPU.
    bool verify_digest = true;
};

// Limits on names, checked before anything is sent.
inline constexpr std::size_t kMaxBucketNameBytes = 64;
inline constexpr std::size_t kMaxObjectNameBytes = 1024;

// The stream, meta subject and chunk subject of the layout above. The
// meta subject is the name in base64url with '=' padding ("a" -> YQ==).
std::string object_stream(std::string_view bucket);
std::string object_meta_subject(std::string_view bucket, std::string_view name);
std::string object_chunk_subject(std::string_view bucket, std::string_view nuid);

// invalid_argument unless the bucket name is 1 to 64 of [A-Za-z0-9_-]
// (dots and wildcards would change the subjects).
Status check_bucket_name(std::string_view bucket);
// invalid_argument unless the name is 1 to 1024 bytes of UTF-8.
Status check_object_name(std::string_view name);

// The meta message's JSON (above) and back. decode_object_meta wants name,
// bucket and nuid and takes the rest as given (missing numbers are 0);
// invalid_argument names the first bad field.
std::string encode_object_meta(const ObjectInfo& info);
Result<ObjectInfo> decode_object_meta(std::string_view json);

class ObjectStore {
public:
    // Borrows `bus`, which must outlive the store.
    explicit ObjectStore(Bus& bus, ObjectStoreOptions options = {});

    // Creates the bucket's stream (file storage, discard new, rollup and
    // direct gets allowed) or brings an existing one to that config.
    Status ensure_bucket(std::string_view bucket);

    // Stores the bytes `source` gives until its end under `name`, replacing
    // any object of that name (whose chunks are purged once the new meta is
    // stored). On any failure, nothing of this put stays stored.
    Result<ObjectInfo> put(std::string_view bucket, std::string_view name,
                           const ObjectReader& source);

    // The meta of `name`; not_found when absent or removed.
    Result<ObjectInfo> info(std::string_view bucket, std::string_view name);

    // Hands the object's bytes to `sink` in order, then checks size, chunk
    // count and digest (unless options say not to hash): Code::data_loss
    // when they disagree with the meta
    // (chunks missing, damaged or extra). not_found when absent or removed.
    Result<ObjectInfo> get(std::string_view bucket, std::string_view name,
                           const ObjectWriter& sink);

    // Marks `name` deleted (a meta with "deleted":true, which replaces the
    // old one) and purges its chunks; not_found when absent or removed.
    Status remove(std::string_view bucket, std::string_view name);

    // The objects in the bucket (not the removed ones), in the order their
    // metas were stored. A meta that does not decode is skipped and logged.
    Result<std::vector<ObjectInfo>> list(std::string_view bucket);

private:
    Result<ObjectInfo> read_meta(std::string_view bucket, std::string_view name);

    Bus& bus_;
    ObjectStoreOptions options_;
};

}  // namespace oasis
