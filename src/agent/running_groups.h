// RunningGroups: a note, in the state directory, of the process group of
// every command the agent is running. An agent that dies without cleaning
// up (a crash, kill -9) leaves commands whose timeout can no longer fire;
// the next agent process on the same boot kills those groups at start.
//
// Files: `<state_dir>/running/<task_id>`, holding "<boot_id> <pgid>". A
// group id is not reused while any process of the group lives, and the
// boot id guards against ids from before a reboot. Thread-safe (one file
// per task).
#pragma once

#include <string>

namespace oasis::agent {

class RunningGroups {
public:
    explicit RunningGroups(const std::string& state_dir);

    // Kills (SIGKILL) every group noted by an earlier agent process on this
    // boot and forgets all notes. Returns how many groups were still alive.
    int kill_leftovers();

    void add(const std::string& task_id, int pgid);
    void remove(const std::string& task_id);

private:
    std::string dir_;
    std::string boot_id_;
};

}  // namespace oasis::agent
