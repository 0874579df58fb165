#include "agent/temp_file.h"

#include "oasis/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace oasis::agent {

namespace {

constexpr std::string_view kTempMarker = ".oasis-tmp-";
constexpr std::size_t kRandomLength = 12;
constexpr std::size_t kMaxName = 255;  // NAME_MAX on Linux file systems
constexpr int kCreateAttempts = 8;

// libsodium's generator is thread-safe once sodium_init() has run.
bool sodium_ready() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

std::string random_suffix() {
    static constexpr char kDigits[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string out(kRandomLength, '0');
    for (char& c : out) c = kDigits[randombytes_uniform(62)];
    return out;
}

// Takes the lock a live TempFile holds, on a file still linked: false when
// another process holds it, or a cleaner removed the file meanwhile.
bool lock_linked(int fd) {
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) return false;
    struct stat st {};
    return ::fstat(fd, &st) == 0 && st.st_nlink > 0;
}

// Removes `name` from the directory `dir_fd` when it is an unlocked regular
// file; never follows a symlink.
void remove_if_stale(int dir_fd, const std::string& dir, const char* name) {
    struct stat st {};
    if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) return;
    int fd = ::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return;

    // Unlinked while we hold the lock, so a writer that creates the same
    // name at this moment sees it gone (lock_linked) and picks another.
    struct stat held {};
    bool stale = ::fstat(fd, &held) == 0 && held.st_ino == st.st_ino && held.st_dev == st.st_dev &&
                 ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    int err = !stale ? 0 : (::unlinkat(dir_fd, name, 0) == 0 ? 0 : errno);
    ::close(fd);
    if (!stale) return;

    std::string path = dir + (dir.ends_with('/') ? "" : "/") + name;
    if (err == 0) {
        log::info("file", "stale_temp.removed", {{"path", path}});
    } else {
        log::warn("file", "stale_temp.kept", {{"path", path}, {"error", std::strerror(err)}});
    }
}

}  // namespace

std::string temp_prefix(std::string_view basename) {
    std::size_t room = kMaxName - 1 - kTempMarker.size() - kRandomLength;
    return "." + std::string(basename.substr(0, room)) + std::string(kTempMarker);
}

void remove_stale_temps(const std::string& dir, const std::string& prefix) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return;  // creating the temp file will report why
    while (const dirent* entry = ::readdir(d)) {
        if (std::string_view(entry->d_name).starts_with(prefix))
            remove_if_stale(::dirfd(d), dir, entry->d_name);
    }
    ::closedir(d);
}

Result<TempFile> TempFile::create(const std::string& dir, const std::string& prefix) {
    if (!sodium_ready()) return error(Code::internal, "libsodium failed to initialise");
    std::string base = dir + (dir.ends_with('/') ? "" : "/") + prefix;
    for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
        std::string path = base + random_suffix();
        int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) return system_error(errno, "cannot create temporary file " + path);
        if (lock_linked(fd)) return TempFile(fd, std::move(path));
        ::close(fd);  // a cleaner took it for stale; it unlinks it
    }
    return error(Code::io_error,
                 "cannot create a temporary file " + base + "*: every name tried was taken");
}

TempFile::TempFile(TempFile&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), committed_(other.committed_) {
    other.fd_ = -1;
}

TempFile::~TempFile() {
    if (fd_ < 0) return;
    if (!committed_) ::unlink(path_.c_str());
    ::close(fd_);
}

Status TempFile::write(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return system_error(errno, "cannot write " + path_);
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Status TempFile::commit(const std::string& dir, const std::string& dest) {
    if (::fsync(fd_) != 0) return system_error(errno, "cannot sync " + path_);
    if (::rename(path_.c_str(), dest.c_str()) != 0)
        return system_error(errno, "cannot rename " + path_ + " to " + dest);
    committed_ = true;

    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = dir_fd < 0 ? errno : (::fsync(dir_fd) != 0 ? errno : 0);
    if (dir_fd >= 0) ::close(dir_fd);
    if (err != 0)
        return system_error(err, "replaced " + dest + " but cannot sync directory " + dir);
    return {};
}

}  // namespace oasis::agent
