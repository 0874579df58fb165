#include "task_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace oasis::agent {

namespace {

Status io_error(const std::string& what) {
    return error(Code::io_error, what + ": " + std::strerror(errno));
}

Status write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error("write task journal");
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace

std::string TaskJournal::entry_line(const std::string& id, const Entry& e) {
    std::string line = std::to_string(e.keep_until_ms) + " " + id;
    if (e.stream_seq != 0) line += " " + std::to_string(e.stream_seq);
    return line + "\n";
}

Result<std::unique_ptr<TaskJournal>> TaskJournal::open(const std::string& dir,
                                                       std::int64_t now_ms) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return error(Code::io_error, "cannot create state directory " + dir + ": " +
                                         ec.message() + " (set [agent] state_dir)");
    }
    ::chmod(dir.c_str(), 0700);

    std::unique_ptr<TaskJournal> j(new TaskJournal);
    j->dir_ = dir;

    // One agent process per state directory: two would each trust their
    // own view of what ran.
    std::string lock_path = dir + "/lock";
    j->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lock_fd_ < 0) return io_error("open " + lock_path);
    if (::flock(j->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        return error(Code::conflict, "another agent process uses the state directory " + dir +
                                         "; give each agent its own ([agent] state_dir)");
    }
    std::string log_path = dir + "/tasks.log";

    // Keep only entries still inside their window, then rewrite the file
    // with one line per task.
    std::vector<std::string> order;
    if (std::ifstream in(log_path); in) {
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::int64_t keep_until = 0;
            std::string id;
            std::uint64_t seq = 0;
            if (!(fields >> keep_until >> id)) continue;  // a torn last line
            fields >> seq;                                // absent in older lines
            if (keep_until < now_ms) continue;
            auto [it, fresh] = j->claimed_.try_emplace(id, Entry{keep_until, seq});
            if (fresh) order.push_back(id);
            if (seq != 0) it->second.stream_seq = seq;
        }
    }
    std::vector<std::string> kept;
    for (const auto& id : order) kept.push_back(entry_line(id, j->claimed_[id]));
    std::string tmp = log_path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("open " + tmp);
    for (const auto& line : kept) {
        if (Status st = write_all(fd, line); !st.ok()) {
            ::close(fd);
            return st;
        }
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) return io_error("sync " + tmp);
    if (::rename(tmp.c_str(), log_path.c_str()) != 0) return io_error("rename " + tmp);

    j->log_fd_ = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (j->log_fd_ < 0) return io_error("open " + log_path);

    if (std::ifstream in(dir + "/cursor"); in) in >> j->cursor_;
    return j;
}

TaskJournal::~TaskJournal() {
    if (log_fd_ >= 0) ::close(log_fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<TaskJournal::Claim> TaskJournal::claim(const std::string& task_id,
                                              std::int64_t keep_until_ms,
                                              std::uint64_t stream_seq) {
    // One line per entry, fields split by spaces: an id holding a space or a
    // newline would corrupt the journal (the server's ids never do).
    bool printable = !task_id.empty() && std::all_of(task_id.begin(), task_id.end(), [](char c) {
        return static_cast<unsigned char>(c) > ' ' && c != 0x7f;
    });
    if (!printable)
        return error(Code::invalid_argument, "a task id with spaces or control characters");
    std::lock_guard lock(mu_);
    auto it = claimed_.find(task_id);
    if (it == claimed_.end()) {
        Entry entry{keep_until_ms, stream_seq};
        OASIS_RETURN_IF_ERROR(write_all(log_fd_, entry_line(task_id, entry)));
        if (::fdatasync(log_fd_) != 0) return io_error("sync task journal");
        claimed_.emplace(task_id, entry);
        return Claim::fresh;
    }
    Entry& entry = it->second;
    if (stream_seq == 0) return Claim::again;
    if (entry.stream_seq != 0 && stream_seq <= entry.stream_seq) return Claim::same_copy;
    if (entry.stream_seq != 0) return Claim::other_copy;

    // Not synced: if the line is lost, the first stored copy read after a
    // restart is taken for this one, which it is unless a replay was stored
    // and the cursor passed the original in between.
    entry.stream_seq = stream_seq;
    if (Status st = write_all(log_fd_, entry_line(task_id, entry)); !st.ok()) return st;
    return Claim::stored_copy;
}

std::optional<std::uint64_t> TaskJournal::stored_seq(const std::string& task_id) const {
    std::lock_guard lock(mu_);
    auto it = claimed_.find(task_id);
    if (it == claimed_.end()) return std::nullopt;
    return it->second.stream_seq;
}

void TaskJournal::note_stored_copy(const std::string& task_id, std::uint64_t stream_seq) {
    std::lock_guard lock(mu_);
    auto it = claimed_.find(task_id);
    if (it == claimed_.end() || stream_seq <= it->second.stream_seq) return;
    it->second.stream_seq = stream_seq;
    (void)write_all(log_fd_, entry_line(task_id, it->second));  // as in claim()
}

std::uint64_t TaskJournal::cursor() const {
    std::lock_guard lock(mu_);
    return cursor_;
}

void TaskJournal::advance_cursor(std::uint64_t seq) {
    std::lock_guard lock(mu_);
    if (seq <= cursor_) return;
    cursor_ = seq;
    std::string tmp = dir_ + "/cursor.tmp";
    if (std::ofstream out(tmp, std::ios::trunc); out) {
        out << cursor_ << "\n";
        out.close();
        std::rename(tmp.c_str(), (dir_ + "/cursor").c_str());
    }
}

}  // namespace oasis::agent
