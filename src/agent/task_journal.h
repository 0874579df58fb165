// TaskJournal: the agent's durable memory of which tasks it has taken, so a
// task never runs twice, not even across an agent restart or a replay of the
// task stream; and of how far it has read its task subject.
//
// It also tells a replay from a second copy of the same publish. The server
// publishes each task once, so an agent may see it twice: live, and as the
// one message the task stream stored. Any further stored copy was published
// again by someone else. So each claim notes the stream sequence up to which
// the task's stored copies are accounted for (read, or handled live), once
// known; a copy stored after that is a replay.
//
// Files in the state directory: `tasks.log`, one line "<keep_until_ms> <id>
// [<stream_seq>]" per claim (appended and fsynced before the task runs; a
// later line for the same id adds the sequence; entries past keep_until are
// dropped when the journal is opened), and `cursor`, the last task-stream
// sequence read. Thread-safe.
#pragma once

#include "oasis/status.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace oasis::agent {

class TaskJournal {
public:
    // Opens (creating with mode 0700 when missing) the directory and loads it.
    static Result<std::unique_ptr<TaskJournal>> open(const std::string& dir,
                                                     std::int64_t now_ms);
    ~TaskJournal();

    // What claim() found.
    enum class Claim {
        fresh,        // new, and now durably recorded: it may run
        again,        // claimed before (a live copy carries no sequence)
        same_copy,    // claimed before, and this stored message accounted for
        stored_copy,  // claimed before from its live copy; this is the stored one
        other_copy,   // claimed before, and this message stored after: a replay
    };

    // Claims `task_id`, seen live (`stream_seq` 0) or as the stored message
    // `stream_seq`. An error (I/O, or an id with spaces or control
    // characters, which a line cannot hold) means "do not run it".
    Result<Claim> claim(const std::string& task_id, std::int64_t keep_until_ms,
                        std::uint64_t stream_seq);

    // Whether `task_id` is claimed, and up to which stream sequence its
    // stored copies are accounted for (0: none yet).
    std::optional<std::uint64_t> stored_seq(const std::string& task_id) const;

    // Notes that the stored copies of a claimed `task_id` up to `stream_seq`
    // are accounted for (the agent handled them live). Not synced, as
    // claim() notes a stored copy.
    void note_stored_copy(const std::string& task_id, std::uint64_t stream_seq);

    std::uint64_t cursor() const;
    // Moves the cursor forward (never back); written without fsync: a lost
    // update only means re-reading tasks that claim() then skips.
    void advance_cursor(std::uint64_t seq);

private:
    struct Entry {
        std::int64_t keep_until_ms = 0;
        std::uint64_t stream_seq = 0;  // stored copies accounted up to here
    };

    TaskJournal() = default;
    static std::string entry_line(const std::string& id, const Entry& e);

    mutable std::mutex mu_;
    std::string dir_;
    int log_fd_ = -1;
    int lock_fd_ = -1;  // holds an exclusive flock for the process's life
    std::unordered_map<std::string, Entry> claimed_;
    std::uint64_t cursor_ = 0;
};

}  // namespace oasis::agent
