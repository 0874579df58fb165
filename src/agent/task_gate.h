// TaskGate: what an agent does with each task message it gets, live or read
// back from the task stream: run it, apply a cancel, drop it quietly (the
// other copy of something already handled), or refuse it.
//
// Refused is a task that is unsigned or badly signed (when the agent holds
// the server's public key), addressed to another agent, seen before (a
// replay), or past its start deadline. Every publish reaches an agent at
// most twice, live and as the one message the task stream stored; those two
// are one task, and reading the same stored message again (after a restart
// or reconnect) is not a replay either. Anything else with a task id the
// journal holds is.
//
// Thread-safe: the live subscription and catch-up may call check() at once.
#pragma once

#include "task_journal.h"

#include "oasis/signing.h"
#include "oasis/wire.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace oasis::agent {

class TaskGate {
public:
    enum class Action {
        run,     // claimed in the journal, on time: run it
        cancel,  // a trusted cancel: stop its batch here
        drop,    // already handled (the other copy, or read again)
        refuse,  // not to be run, and worth an alert; see reason
        fail,    // the journal could not record it: do not run it
    };
    struct Verdict {
        Action action = Action::drop;
        // refuse: unsigned, bad_signature, wrong_agent, replayed or expired.
        std::string reason;
        std::string message;  // refuse and fail: what happened, in words
    };

    // `verifier` null trusts unsigned tasks. Both are borrowed and must
    // outlive the gate.
    TaskGate(std::string agent_id, const TaskVerifier* verifier, TaskJournal& journal)
        : agent_id_(std::move(agent_id)), verifier_(verifier), journal_(journal) {}

    // `payload` is the message the task was decoded from; `stream_seq` its
    // sequence in the task stream, or 0 for a live message. A run verdict
    // has claimed the task: asking again gives drop or refuse.
    Verdict check(const wire::Task& task, std::string_view payload, std::uint64_t stream_seq,
                  std::int64_t now_ms);

    // Whether the stored message `stream_seq` is the stored copy of live
    // messages already handled, so that the cursor may move past it without
    // reading it; notes it as such when it is. Claims and refuses nothing:
    // false leaves the message to a catch-up.
    bool handled_live(const wire::Task& task, std::string_view payload, std::uint64_t stream_seq);

    // Says that the live subscription started after the stored message
    // `stream_seq` (0: before any): no message stored up to there has a
    // live copy still to come. Call before the subscription starts.
    void subscribing_after(std::uint64_t stream_seq);

    // Forgets the other copies that never came; call every few seconds.
    void prune(std::int64_t now_ms);

    // How long a live copy may lag its stored copy (or the other way round)
    // and still be taken for the same publish. A replay within this window
    // of a catch-up that read the task after the subscription started (a
    // reconnect) is refused without an alert.
    // TODO: noting the newest stored task again at each resubscription
    // would close that window too; nats.c resubscribes before it says so.
    static constexpr std::int64_t kTwinWindowMs = 60 * 1000;

private:
    // Live messages already handled, by digest of their payload, whose
    // stored copy is to be dropped; the same bytes may come more than once.
    struct HandledLive {
        int count = 0;
        std::int64_t when_ms = 0;
    };
    using LiveMap = std::unordered_map<std::string, HandledLive>;

    Verdict trust(const wire::Task& task) const;
    Verdict claim(const wire::Task& task, std::string_view payload, std::uint64_t stream_seq,
                  std::int64_t now_ms);
    void remember(LiveMap& map, std::string_view payload, std::int64_t now_ms);
    bool take(LiveMap& map, std::string_view payload);

    const std::string agent_id_;
    const TaskVerifier* const verifier_;
    TaskJournal& journal_;

    std::mutex mu_;
    std::uint64_t live_after_seq_ = 0;  // see subscribing_after()
    // Tasks claimed from the stream whose live copy may still come: id ->
    // when claimed.
    std::unordered_map<std::string, std::int64_t> stored_first_;
    // Live messages refused before any claim, or cancels.
    LiveMap unclaimed_live_;
    // Live copies of claimed tasks, refused as replays: their stored copy
    // is another stored copy of the task, but no second replay.
    LiveMap replayed_live_;
};

}  // namespace oasis::agent
