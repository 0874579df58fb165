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
#include <vector>

namespace oasis::agent {

class RunningGroups {
public:
    explicit RunningGroups(const std::string& state_dir);

    // A command an earlier agent process left running.
    struct Leftover {
        std::string task_id;
        bool was_running = false;  // its group was alive, and is now killed
        std::string dest;          // a file task: the file it was writing
    };
    // Kills (SIGKILL) every group noted by an earlier agent process on this
    // boot, forgets all notes, and returns what they were.
    std::vector<Leftover> kill_leftovers();

    void add(const std::string& task_id, int pgid);
    // A file task writing `dest` (no process to kill).
    void add_file(const std::string& task_id, const std::string& dest);
    void remove(const std::string& task_id);

private:
    std::string dir_;
    std::string boot_id_;
};

}  // namespace oasis::agent
