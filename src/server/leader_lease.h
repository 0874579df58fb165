// LeaderLease: which of several servers drives time-based work (expiring
// batches). Any number of servers answer requests; one holds the lease.
//
// The lease is one key in a key-value bucket holding the holder's name. It
// is taken or renewed with a compare-and-swap on the key's sequence, and
// counts as expired when the entry is older than the TTL by the NATS
// server's clock, so a dead leader is replaced within one TTL. Not
// thread-safe: one thread calls refresh().
#pragma once

#include "oasis/bus.h"

#include <chrono>
#include <string>

namespace oasis::server {

class LeaderLease {
public:
    LeaderLease(Bus& bus, std::string me, std::chrono::milliseconds ttl)
        : bus_(bus), me_(std::move(me)), ttl_(ttl) {}

    // Takes the lease if it is free or expired, renews it if held. Returns
    // whether this server holds it now. Call well within the TTL (ttl / 4).
    bool refresh(std::int64_t now_ms);
    bool held() const { return held_; }

    static constexpr const char* kBucket = "oasis_leader";

private:
    Bus& bus_;
    const std::string me_;
    const std::chrono::milliseconds ttl_;
    bool held_ = false;
};

}  // namespace oasis::server
