#include "leader_lease.h"

#include "oasis/log.h"

namespace oasis::server {

namespace {

constexpr const char* kSubject = "$KV.oasis_leader.sweeper";
constexpr const char* kStream = "KV_oasis_leader";

}  // namespace

bool LeaderLease::refresh(std::int64_t now_ms) {
    auto current = bus_.get_last(kStream, kSubject);
    std::uint64_t expected = 0;
    if (current.ok()) {
        bool mine = current->data == me_;
        bool expired = now_ms - current->time_ms > ttl_.count();
        if (!mine && !expired) {
            if (held_) log::warn("server", "leader.lost", {{"leader", current->data}});
            held_ = false;
            return false;
        }
        expected = current->stream_seq;
    } else if (current.status().code() != Code::not_found) {
        held_ = false;  // cannot tell: do not act as leader
        return false;
    }

    PublishOptions cas;
    cas.expected_last_subject_seq = expected;
    bool was_held = held_;
    held_ = bus_.js_publish(kSubject, me_, cas, std::chrono::seconds(2)).ok();
    if (held_ && !was_held) log::info("server", "leader.acquired", {{"server", me_}});
    return held_;
}

}  // namespace oasis::server
