// TempFile: the file a new revision is written into beside its destination,
// renamed over it when complete and removed otherwise.
//
// It is named `.<basename>.oasis-tmp-<12 random letters and digits>` in the
// destination's directory (the basename cut to fit a 255-byte name), so a
// rename replaces the destination atomically on the same file system. While
// it lives it holds an exclusive flock, which tells a temp file in use from
// one that a killed agent process left behind: remove_stale_temps() removes
// only unlocked ones.
#pragma once

#include "oasis/status.h"

#include <string>
#include <string_view>

namespace oasis::agent {

// ".<basename>.oasis-tmp-": what every temp file of `basename` starts with.
std::string temp_prefix(std::string_view basename);

// Removes the regular files in `dir` whose names start with `prefix` and
// that no live TempFile holds: what an agent killed mid-write left. Never
// follows a symlink and never removes anything else. Best effort: one that
// cannot be removed is logged and left, and does not fail the caller.
void remove_stale_temps(const std::string& dir, const std::string& prefix);

class TempFile {
public:
    // Creates `<dir>/<prefix><random>` with mode 0600 (O_EXCL, O_NOFOLLOW)
    // and locks it. io_error naming the path when it cannot.
    static Result<TempFile> create(const std::string& dir, const std::string& prefix);

    TempFile(TempFile&& other) noexcept;
    TempFile& operator=(TempFile&&) = delete;
    TempFile(const TempFile&) = delete;
    // Closes the file and, unless commit() succeeded, unlinks it.
    ~TempFile();

    int fd() const { return fd_; }
    const std::string& path() const { return path_; }

    // Writes all of `bytes` (short writes continued, EINTR retried).
    Status write(std::string_view bytes);

    // Syncs the file, renames it over `dest` and syncs `dir`. After the
    // rename the file is no longer ours to unlink, even if the directory
    // sync then fails (the error says `dest` was replaced).
    Status commit(const std::string& dir, const std::string& dest);

private:
    TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

    int fd_ = -1;
    std::string path_;
    bool committed_ = false;
};

}  // namespace oasis::agent
