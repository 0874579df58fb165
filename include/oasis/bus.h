// Bus: the only door to NATS. Roles see subjects, bytes and Status values;
// no nats.c type or call leaves liboasis (see docs/architecture.md).
//
// Thread safety: every Bus method may be called from any thread, including
// from inside a handler. Handlers run on NATS delivery threads; a handler
// must not block for long, and must never throw (an escaping exception is
// caught, logged and dropped at the C boundary).
#pragma once

#include "oasis/status.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oasis {

// The files of a mutual-TLS connection, PEM. An empty ca_file means no TLS.
struct TlsFiles {
    std::string ca_file;    // the CA that signed the NATS server's certificate
    std::string cert_file;  // this identity's certificate
    std::string key_file;   // and its private key
};

// The files of identity `name` in `certs_dir`: ca.pem, <name>.pem and
// <name>-key.pem (as `oasis system init` writes them). Empty when
// certs_dir is empty.
TlsFiles tls_files(const std::string& certs_dir, const std::string& name);

struct BusOptions {
    std::vector<std::string> urls{"nats://127.0.0.1:4222"};
    TlsFiles tls;
    std::string name;          // shown by nats-server as the connection name
    std::string inbox_prefix;  // own reply-inbox prefix, e.g. "_I.agent-1"; empty: default
    // Keep trying the first connect in the background instead of failing
    // (agents start before NATS does).
    bool retry_initial_connect = false;
    // Deliver every subscription's messages from one shared pool of threads
    // instead of a thread per subscription (for processes with thousands of
    // subscriptions, such as the fleet simulator).
    bool shared_delivery_threads = false;
    // Called with "disconnected", "reconnected" or "closed". May run after
    // the Bus is gone only if the callable says so itself; keep it cheap.
    std::function<void(std::string_view event)> on_state;
    // subscribe() waits one round trip to NATS while connected, so that a
    // subscription NATS refuses fails with Code::permission_denied instead
    // of staying silent (about 35 us on loopback). Off for processes that
    // make thousands of subscriptions, such as the fleet simulator.
    bool confirm_subscriptions = true;
};

// A publish or subscription that NATS refused for lack of permission.
// nats.c reports these only afterwards, through its error handler: the
// call itself succeeds and the message is dropped (see Bus::request).
struct PermissionViolation {
    enum class Kind { publish, subscribe };
    Kind kind = Kind::publish;
    std::string subject;  // as NATS names it, e.g. "oasis.ctl.agent.list"
};

// One message, copied out of the NATS library so it may be kept.
struct Message {
    std::string subject;
    std::string data;
    std::string reply;
    std::uint64_t stream_seq = 0;  // set for messages read from a stream
    std::int64_t time_ms = 0;      // stream timestamp, for messages read from a stream
};

using MessageHandler = std::function<void(Message&&)>;

// Ends its subscription when destroyed. After the destructor returns the
// handler is not running and never runs again, except when the destructor
// is called from inside that same handler (then it returns at once).
class Subscription {
public:
    virtual ~Subscription() = default;
};

struct StreamSpec {
    std::string name;
    std::vector<std::string> subjects;
    std::chrono::seconds max_age{0};  // 0: keep forever
    std::int64_t max_bytes = -1;
    std::int64_t max_msgs = -1;
    std::int64_t max_msgs_per_subject = -1;
    std::int32_t max_msg_size = -1;
    bool memory = false;
    // Refuse new messages when full instead of dropping the oldest.
    bool discard_new = false;
    // Let a message with the header `Nats-Rollup: sub` replace every
    // earlier message on its subject.
    bool allow_rollup = false;
};

struct StreamState {
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    std::uint64_t msgs = 0;
};

struct PublishOptions {
    std::string msg_id;  // de-duplication id within the stream's window
    // Accept the message only when the stream holds none on its subject:
    // the first writer wins, later ones get Code::conflict.
    bool only_if_subject_empty = false;
    // Accept the message only when the last one on its subject has this
    // sequence (compare-and-swap); Code::conflict otherwise.
    std::optional<std::uint64_t> expected_last_subject_seq;
    // Extra headers, e.g. {"Nats-Rollup", "sub"}.
    std::vector<std::pair<std::string, std::string>> headers;
};

// A run of asynchronous JetStream publishes with at most `window` of them
// waiting for their acks (see Bus::start_publishing): memory stays bounded
// however many are sent. One thread at a time; it borrows its Bus, which
// must outlive it.
class AsyncPublisher {
public:
    // Waits (briefly) for acks still due when finish() was not called.
    virtual ~AsyncPublisher() = default;
    // Sends one message (the data is copied). Blocks while `window` are
    // un-acked; Code::timeout when none was acked within the stall timeout.
    // Fails with the first error an earlier ack reported.
    virtual Status publish(std::string_view subject, std::string_view data) = 0;
    // Waits up to `timeout` for every ack; ok only when every message was
    // stored. Afterwards no ack is outstanding, whatever it returns.
    virtual Status finish(std::chrono::milliseconds timeout) = 0;
};

// Handles one stored message of a streamed read; a non-ok Status ends the read
// and is what the read returns.
using StoredMessageHandler = std::function<Status(Message&&)>;

// Where a stream follower starts.
enum class Replay { all, last_per_subject, new_only, from_sequence };

class Bus {
public:
    // Connects (or, with retry_initial_connect, starts connecting). Fails
    // with Code::unavailable and a plain cause and remedy when NATS cannot
    // be reached or refuses the TLS handshake, and with
    // Code::invalid_argument, naming the file, when a TLS file is missing,
    // unreadable, not PEM, or a certificate has expired or is not yet
    // valid (checked before connecting).
    static Result<std::unique_ptr<Bus>> connect(const BusOptions& options);
    ~Bus();

    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    // --- core NATS ---
    Status publish(std::string_view subject, std::string_view data);
    Status publish_request(std::string_view subject, std::string_view reply,
                           std::string_view data);
    // Sends a request and waits for one reply. No subscriber at all gives
    // Code::unavailable at once; no answer in time gives Code::timeout.
    // NATS refusing this identity the request's subject or its reply inbox
    // gives Code::permission_denied, as soon as NATS says so.
    Result<Message> request(std::string_view subject, std::string_view data,
                            std::chrono::milliseconds timeout);
    // Subscribes; with a non-empty queue group, one member gets each message.
    // While connected, and with BusOptions::confirm_subscriptions, a
    // subscription NATS refuses gives Code::permission_denied.
    Result<std::unique_ptr<Subscription>> subscribe(std::string_view subject,
                                                    std::string_view queue_group,
                                                    MessageHandler handler);
    Status flush(std::chrono::milliseconds timeout);
    std::string new_inbox();
    // Largest payload the server accepts, in bytes.
    std::int64_t max_payload() const;
    bool connected() const;
    // True once the connection is closed for good (nats.c gave up on it).
    bool closed() const;
    // Closes the connection for good, now: whatever is still waiting for
    // NATS to come back fails at once (Code::unavailable) instead, and
    // subscriptions end without waiting for NATS to acknowledge it.
    void close();
    // The last publish or subscription NATS refused on this connection.
    std::optional<PermissionViolation> last_permission_violation() const;

    // --- JetStream ---
    // Creates the stream, or updates it to `spec` when it exists.
    Status ensure_stream(const StreamSpec& spec);
    // Creates a key-value bucket (a stream "KV_<bucket>") if it is missing.
    Status ensure_kv_bucket(std::string_view bucket, int history);
    // Publishes and waits for the stream's ack; returns the sequence.
    // Retries while JetStream has no leader (NO_RESPONDERS) or times out,
    // up to `patience`. A duplicate msg_id returns the original sequence.
    Result<std::uint64_t> js_publish(std::string_view subject, std::string_view data,
                                     const PublishOptions& options = {},
                                     std::chrono::milliseconds patience =
                                         std::chrono::seconds(10));
    struct Outgoing {
        std::string subject;
        std::string data;
        PublishOptions options;
    };
    // Publishes many messages without waiting for each ack, then waits for
    // all of them (up to `timeout`). Returns one Status per message, in
    // order: ok, conflict (an expectation failed), timeout (no ack), ...
    Result<std::vector<Status>> js_publish_each(const std::vector<Outgoing>& messages,
                                                std::chrono::milliseconds timeout);
    // The same for plain messages; returns how many were not acknowledged.
    Result<std::size_t> js_publish_all(
        const std::vector<std::pair<std::string, std::string>>& messages,
        std::chrono::milliseconds timeout);
    // Direct reads (no consumer is created). Code::not_found when absent.
    // get_last names the subject in the API subject
    // ($JS.API.DIRECT.GET.<stream>.<subject>), so NATS permissions can let
    // an identity read only its own subjects; get_next and get_seq name
    // theirs in the payload and need rights to the whole stream.
    Result<Message> get_last(std::string_view stream, std::string_view subject);
    Result<Message> get_next(std::string_view stream, std::string_view subject_filter,
                             std::uint64_t from_seq);
    Result<Message> get_seq(std::string_view stream, std::uint64_t seq);
    // The messages stored on `subject` from sequence `from_seq` on, oldest
    // first, at most `limit`: what was there when the read began. Reads
    // through a short-lived consumer named `consumer` (no dots) that is
    // created on the subject-scoped API
    // ($JS.API.CONSUMER.CREATE.<stream>.<consumer>.<subject>) and deleted
    // afterwards, so NATS permissions can confine a reader to its subject.
    // One reader per consumer name at a time.
    Result<std::vector<Message>> read_subject(std::string_view stream, std::string_view subject,
                                              std::uint64_t from_seq, std::string_view consumer,
                                              std::size_t limit);
    // The same read, one message at a time, with bounded memory: the
    // consumer holds at most `window` messages un-acknowledged, so no more
    // are ever queued here. `subject` may hold wildcards (the consumer is
    // then created without naming it in the API subject). Calls `handler`
    // on this thread, in stream order; returns its first error.
    Status read_subject_each(std::string_view stream, std::string_view subject,
                             std::uint64_t from_seq, std::string_view consumer, std::size_t window,
                             const StoredMessageHandler& handler);
    // A publisher for long runs of messages (object chunks): at most
    // `window` un-acked, a publish blocks up to `stall_timeout` for room.
    Result<std::unique_ptr<AsyncPublisher>> start_publishing(
        std::size_t window, std::chrono::milliseconds stall_timeout);
    Result<StreamState> stream_state(std::string_view stream);
    Status purge_subject(std::string_view stream, std::string_view subject);
    Status delete_stream(std::string_view stream);
    // Follows a stream with an ordered consumer: replays what is stored (per
    // `replay`; from_sequence starts at `start_seq`), then delivers new
    // messages as they are stored.
    Result<std::unique_ptr<Subscription>> follow(std::string_view stream,
                                                 std::string_view subject_filter, Replay replay,
                                                 MessageHandler handler,
                                                 std::uint64_t start_seq = 0);

    // --- key-value (buckets made by ensure_kv_bucket) ---
    Status kv_put(std::string_view bucket, std::string_view key, std::string_view value);
    Result<std::string> kv_get(std::string_view bucket, std::string_view key);

    struct Impl;

private:
    explicit Bus(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Opens the NATS library (Bus::connect does too). Any program linked with
// the Bus runs OpenSSL without an exit handler, chosen before main: see
// bus.cpp.
Status open_bus_library();

// Releases the NATS library's threads; call once at process exit, after
// every Bus is destroyed, never from a handler.
void shutdown_bus_library();

}  // namespace oasis
