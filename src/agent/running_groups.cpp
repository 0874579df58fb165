#include "running_groups.h"

#include <signal.h>

#include <filesystem>
#include <fstream>

namespace oasis::agent {

namespace {

std::string read_boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    in >> id;
    return id.empty() ? "unknown-boot" : id;
}

}  // namespace

RunningGroups::RunningGroups(const std::string& state_dir)
    : dir_(state_dir + "/running"), boot_id_(read_boot_id()) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
}

std::vector<RunningGroups::Leftover> RunningGroups::kill_leftovers() {
    std::vector<Leftover> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        std::ifstream in(entry.path());
        std::string boot;
        int pgid = 0;
        Leftover l{entry.path().filename().string(), false};
        if (in >> boot >> pgid && boot == boot_id_ && pgid > 1)
            l.was_running = ::kill(-pgid, SIGKILL) == 0;
        if (in && pgid == 0 && in.get() == ' ') std::getline(in, l.dest);
        found.push_back(std::move(l));
        std::filesystem::remove(entry.path(), ec);
    }
    return found;
}

void RunningGroups::add(const std::string& task_id, int pgid) {
    std::ofstream out(dir_ + "/" + task_id, std::ios::trunc);
    out << boot_id_ << " " << pgid << "\n";
}

void RunningGroups::add_file(const std::string& task_id, const std::string& dest) {
    std::ofstream out(dir_ + "/" + task_id, std::ios::trunc);
    out << boot_id_ << " 0 " << dest << "\n";
}

void RunningGroups::remove(const std::string& task_id) {
    std::error_code ec;
    std::filesystem::remove(dir_ + "/" + task_id, ec);
}

}  // namespace oasis::agent
