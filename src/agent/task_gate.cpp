#include "task_gate.h"

#include <sodium.h>

namespace oasis::agent {

namespace {

using Action = TaskGate::Action;

// An attacker flooding the subject must not grow memory without bound;
// past this many remembered live messages, a stored copy may be reported
// a second time instead.
constexpr std::size_t kMaxHandledLive = 10000;
constexpr std::int64_t kHandledLiveMs = 5 * 60 * 1000;

// How long a claim is kept: past the batch's expiry no result can be
// stored any more, and an hour more covers a late replay of the stream.
constexpr std::int64_t kKeepClaimMs = 3600 * 1000;

std::string digest(std::string_view payload) {
    unsigned char out[16];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(payload.data()),
                       payload.size(), nullptr, 0);
    return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

TaskGate::Verdict refuse(std::string reason, std::string message) {
    return {Action::refuse, std::move(reason), std::move(message)};
}

TaskGate::Verdict replayed() {
    return refuse("replayed",
                  "the task was received before; it is a replay and does not run again");
}

}  // namespace

TaskGate::Verdict TaskGate::check(const wire::Task& task, std::string_view payload,
                                  std::uint64_t stream_seq, std::int64_t now_ms) {
    const bool live = stream_seq == 0;
    if (!live && take(unclaimed_live_, payload)) return {};

    Verdict v = trust(task);
    if (v.action == Action::refuse || task.kind == wire::TaskKind::cancel) {
        if (live) remember(unclaimed_live_, payload, now_ms);
        return v;
    }
    return claim(task, payload, stream_seq, now_ms);
}

TaskGate::Verdict TaskGate::trust(const wire::Task& task) const {
    if (verifier_) {
        switch (verifier_->verify(task)) {
            case TaskTrust::signed_ok:
                break;
            case TaskTrust::unsigned_task:
                return refuse("unsigned",
                              "the task is not signed, and this agent runs only tasks signed "
                              "with the server's key ([security] task_public_key)");
            case TaskTrust::bad_signature:
                return refuse("bad_signature",
                              "the task's signature does not check out: it was signed with "
                              "another key, or changed after it was signed");
        }
    }
    if (task.agent_id != agent_id_)
        return refuse("wrong_agent", "the task is addressed to agent \"" + task.agent_id + "\"");
    if (task.kind == wire::TaskKind::cancel) return {Action::cancel, "", ""};
    return {Action::run, "", ""};
}

TaskGate::Verdict TaskGate::claim(const wire::Task& task, std::string_view payload,
                                  std::uint64_t stream_seq, std::int64_t now_ms) {
    // A stored copy published while the subscription was up has a live
    // copy too, which may come after this one: noted before the claim, so
    // that a live copy racing it finds the note.
    bool noted = false;
    if (stream_seq != 0) {
        std::lock_guard lock(mu_);
        if (stream_seq > live_after_seq_)
            noted = stored_first_.try_emplace(task.task_id, now_ms).second;
    }
    auto forget_note = [&] {
        std::lock_guard lock(mu_);
        if (noted) stored_first_.erase(task.task_id);
    };

    std::int64_t keep_until = wire::expiry_ms(task.start_by_ms, task.timeout_sec) + kKeepClaimMs;
    auto claimed = journal_.claim(task.task_id, keep_until, stream_seq);
    if (!claimed.ok()) {
        forget_note();
        return {Action::fail, "",
                "the agent cannot record the task in its state directory: " +
                    claimed.status().message()};
    }
    switch (*claimed) {
        case TaskJournal::Claim::fresh:
            break;
        case TaskJournal::Claim::again: {
            // A live copy: the twin of a stored copy read a moment ago, or
            // a replay.
            std::unique_lock lock(mu_);
            auto it = stored_first_.find(task.task_id);
            if (it != stored_first_.end() && now_ms - it->second <= kTwinWindowMs) {
                stored_first_.erase(it);
                return {};
            }
            lock.unlock();
            remember(replayed_live_, payload, now_ms);
            return replayed();
        }
        case TaskJournal::Claim::same_copy:
        case TaskJournal::Claim::stored_copy:
            forget_note();
            return {};
        case TaskJournal::Claim::other_copy:
            forget_note();
            if (take(replayed_live_, payload)) return {};  // reported when it came live
            return replayed();
    }

    if (now_ms > task.start_by_ms)
        return refuse("expired", "the task's start deadline passed before the agent got it");
    return {Action::run, "", ""};
}

bool TaskGate::handled_live(const wire::Task& task, std::string_view payload,
                            std::uint64_t stream_seq) {
    if (take(unclaimed_live_, payload)) return true;
    if (trust(task).action != Action::run) return false;  // not seen live
    auto noted = journal_.stored_seq(task.task_id);
    if (!noted) return false;  // its live copy has not come yet
    if (*noted != 0 && stream_seq <= *noted) return true;
    // A live replay's stored copy may be this one, or come before it.
    bool replay_seen = take(replayed_live_, payload);
    if (*noted != 0 && !replay_seen) return false;  // stored later: a catch-up reports it
    journal_.note_stored_copy(task.task_id, stream_seq);
    return true;
}

void TaskGate::subscribing_after(std::uint64_t stream_seq) {
    std::lock_guard lock(mu_);
    live_after_seq_ = stream_seq;
}

void TaskGate::prune(std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    std::erase_if(stored_first_,
                  [&](const auto& entry) { return now_ms - entry.second > kTwinWindowMs; });
    for (LiveMap* map : {&unclaimed_live_, &replayed_live_}) {
        std::erase_if(*map, [&](const auto& entry) {
            return now_ms - entry.second.when_ms > kHandledLiveMs;
        });
    }
}

void TaskGate::remember(LiveMap& map, std::string_view payload, std::int64_t now_ms) {
    std::lock_guard lock(mu_);
    if (map.size() >= kMaxHandledLive) return;
    HandledLive& entry = map[digest(payload)];
    entry.count++;
    entry.when_ms = now_ms;
}

bool TaskGate::take(LiveMap& map, std::string_view payload) {
    std::lock_guard lock(mu_);
    auto it = map.find(digest(payload));
    if (it == map.end()) return false;
    if (--it->second.count == 0) map.erase(it);
    return true;
}

}  // namespace oasis::agent
