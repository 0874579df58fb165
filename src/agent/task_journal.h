// TaskJournal: the agent's durable memory of which tasks it has taken, so a
// task never runs twice, not even across an agent restart or a replay of the
// task stream; and of how far it has read its task subject.
//
// Files in the state directory: `tasks.log`, one line "<keep_until_ms> <id>"
// per claimed task (appended and fsynced before the task runs; entries past
// keep_until are dropped when the journal is opened), and `cursor`, the last
// task-stream sequence read. Thread-safe.
#pragma once

#include "oasis/status.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace oasis::agent {

class TaskJournal {
public:
    // Opens (creating with mode 0700 when missing) the directory and loads it.
    static Result<std::unique_ptr<TaskJournal>> open(const std::string& dir,
                                                     std::int64_t now_ms);
    ~TaskJournal();

    // Claims `task_id`: true when it was new (and is now durably recorded),
    // false when it was claimed before. An I/O error means "do not run it".
    Result<bool> claim(const std::string& task_id, std::int64_t keep_until_ms);

    bool claimed(const std::string& task_id) const;

    std::uint64_t cursor() const;
    // Moves the cursor forward (never back); written without fsync: a lost
    // update only means re-reading tasks that claim() then skips.
    void advance_cursor(std::uint64_t seq);

private:
    TaskJournal() = default;

    mutable std::mutex mu_;
    std::string dir_;
    int log_fd_ = -1;
    int lock_fd_ = -1;  // holds an exclusive flock for the process's life
    std::unordered_set<std::string> claimed_;
    std::uint64_t cursor_ = 0;
};

}  // namespace oasis::agent
