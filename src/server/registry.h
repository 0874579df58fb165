// Registry: the server's picture of the fleet, built from heartbeats and the
// operator's overrides. Liveness is computed from the last heartbeat's time
// against the TTL, never watched (nats-server 2.9 sends no expiry events).
//
// Thread-safe: heartbeats arrive on a NATS thread while control requests
// read from worker threads.
#pragma once

#include "oasis/agent_table.h"
#include "oasis/selector.h"
#include "oasis/wire.h"

#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace oasis::server {

// Which agents a selector picks for a batch.
struct Selection {
    std::vector<std::string> online;   // picked and online
    std::vector<std::string> offline;  // named in an id list, known, offline
    std::vector<std::string> unknown;  // named in an id list, never seen
};

class Registry {
public:
    explicit Registry(int heartbeat_ttl_sec) : ttl_ms_(std::int64_t{heartbeat_ttl_sec} * 1000) {}

    // `seen_ms` is when the heartbeat was stored (the stream's clock).
    void on_heartbeat(wire::AgentInfo info, std::int64_t seen_ms);
    // Replaces the override of an agent; an empty override removes it.
    void on_override(const std::string& agent_id, wire::AgentOverride change);
    // Forgets an agent altogether.
    void forget(const std::string& agent_id);

    // Agents the selector picks (all agents when `selector` is null), online
    // or not, sorted by id, with overrides applied.
    std::vector<wire::AgentStatus> list(const Selector* selector, std::int64_t now_ms) const;
    std::optional<wire::AgentStatus> get(std::string_view agent_id, std::int64_t now_ms) const;

    // An id list picks the named agents, online or not, and reports unknown
    // ones; any other selector picks only agents that are online.
    Selection select(const Selector& selector, std::int64_t now_ms) const;

    std::size_t online_count(std::int64_t now_ms) const;
    std::size_t known_count() const;

private:
    struct Entry {
        wire::AgentInfo reported;  // as the agent last said
        wire::AgentInfo effective; // with the override applied
        std::int64_t last_seen_ms = 0;
    };

    // The effective labels, groups and facts of every agent in an interned
    // table that selectors scan without chasing map nodes (10 M+ rows/s).
    // Rebuilt on the next selection after any of them changed; a heartbeat
    // that changes only the last-seen time leaves it as it is.
    struct Snapshot {
        AgentTable table;
        std::vector<const std::string*> ids;  // by row; keys of agents_
    };

    bool is_online(const Entry& e, std::int64_t now_ms) const {
        return now_ms - e.last_seen_ms < ttl_ms_;
    }
    void apply_override(Entry& e) const;
    wire::AgentStatus status_of(const Entry& e, std::int64_t now_ms) const;
    // The rows `selector` picks, as agents_ entries. Caller holds mu_ (shared).
    std::vector<const Entry*> matching(const Selector& selector) const;

    const std::int64_t ttl_ms_;
    mutable std::shared_mutex mu_;
    std::unordered_map<std::string, Entry> agents_;
    std::unordered_map<std::string, wire::AgentOverride> overrides_;
    std::uint64_t version_ = 0;  // bumped when what a selector sees changes

    mutable std::mutex snapshot_mu_;  // taken inside a shared mu_
    mutable std::unique_ptr<Snapshot> snapshot_;
    mutable std::uint64_t snapshot_version_ = 0;
};

}  // namespace oasis::server
