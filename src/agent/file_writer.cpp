#include "agent/file_writer.h"

#include "agent/temp_file.h"
#include "oasis/sha256.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

namespace oasis::agent {

namespace {

// An owner as this node knows it; `label` is "user:group" as given.
struct ResolvedOwner {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string label;
};

// The id of the user or group `name` through getpwnam_r or getgrnam_r.
template <typename Entry, typename Id>
Result<Id> lookup(const std::string& name, const char* what,
                  int (*get)(const char*, Entry*, char*, std::size_t, Entry**), Id Entry::*id) {
    std::vector<char> buf(16 * 1024);
    for (;;) {
        Entry entry{};
        Entry* found = nullptr;
        int rc = get(name.c_str(), &entry, buf.data(), buf.size(), &found);
        if (rc == ERANGE && buf.size() < (1u << 22)) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (rc != 0)
            return system_error(rc, std::string("cannot look up ") + what + " \"" + name + "\"");
        if (found == nullptr)
            return error(Code::not_found,
                         std::string("unknown ") + what + " \"" + name + "\" on this node");
        return found->*id;
    }
}

Result<std::optional<ResolvedOwner>> resolve_owner(const std::optional<Owner>& owner) {
    if (!owner) return std::optional<ResolvedOwner>();
    if ((owner->user.empty() && !owner->uid) || (owner->group.empty() && !owner->gid))
        return error(Code::invalid_argument, "an owner needs a user and a group");

    ResolvedOwner out;
    out.label = (owner->uid ? std::to_string(*owner->uid) : owner->user) + ":" +
                (owner->gid ? std::to_string(*owner->gid) : owner->group);
    auto uid = owner->uid ? Result<uid_t>(*owner->uid)
                          : lookup(owner->user, "user", ::getpwnam_r, &passwd::pw_uid);
    if (!uid.ok()) return uid.status();
    auto gid = owner->gid ? Result<gid_t>(*owner->gid)
                          : lookup(owner->group, "group", ::getgrnam_r, &group::gr_gid);
    if (!gid.ok()) return gid.status();
    out.uid = *uid;
    out.gid = *gid;
    return std::optional<ResolvedOwner>(std::move(out));
}

Status check_target(const FileTarget& t) {
    OASIS_RETURN_IF_ERROR(check_destination(t.dest));
    if (!is_sha256_hex(t.sha256_hex))
        return error(Code::invalid_argument,
                     "the expected SHA-256 of " + t.dest + " is not 64 lower-case hex digits");
    if (t.mode && *t.mode > 07777)
        return error(
            Code::invalid_argument,
            "the mode for " + t.dest + " has bits above 07777; give at most 4 octal digits");
    return {};
}

// A destination split and looked at (never followed).
struct Destination {
    std::string dir;   // its directory, "/" for a top-level file
    std::string base;  // its last component
    bool exists = false;
    struct stat st {};  // from lstat() when it exists: a regular file
};

std::string symlink_target(const std::string& path) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    std::string out(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    for (char& c : out)  // it did not come from the caller: keep the error on one line
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

Status refuse_kind(const std::string& dest, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) return error(Code::invalid_argument, dest + " is a directory");
    if (S_ISLNK(st.st_mode))
        return error(Code::invalid_argument,
                     dest + " is a symbolic link (to " + symlink_target(dest) +
                         "); Oasis does not write through or over symlinks: give the real path");
    const char* kind = S_ISFIFO(st.st_mode)   ? "a fifo"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                                              : "not a regular file";
    return error(Code::invalid_argument,
                 dest + " is " + std::string(kind) + "; Oasis writes only regular files");
}

// What is at `dest` now: nothing (in an existing directory) or a regular
// file; anything else is refused.
Result<Destination> inspect_destination(const std::string& dest) {
    Destination d;
    auto slash = dest.rfind('/');
    d.dir = slash == 0 ? "/" : dest.substr(0, slash);
    d.base = dest.substr(slash + 1);

    if (::lstat(dest.c_str(), &d.st) == 0) {
        if (!S_ISREG(d.st.st_mode)) return refuse_kind(dest, d.st);
        d.exists = true;
        return d;
    }
    if (errno != ENOENT && errno != ENOTDIR) return system_error(errno, "cannot inspect " + dest);

    struct stat dir_st {};
    int err = ::stat(d.dir.c_str(), &dir_st) == 0 ? 0 : errno;
    if (err == ENOENT)
        return error(Code::not_found,
                     "directory " + d.dir + " does not exist; Oasis does not create directories");
    if (err != 0) return system_error(err, "cannot inspect directory " + d.dir);
    if (!S_ISDIR(dir_st.st_mode))
        return error(Code::invalid_argument, d.dir + " is not a directory");
    return d;
}

// Whether the destination already holds the target. Size, owner and mode
// are compared first, the digest last. A file that cannot be read counts as
// different: writing it anew gives the wanted state or a precise error.
bool matches(const Destination& d, const FileTarget& t, const std::optional<ResolvedOwner>& owner) {
    if (!d.exists || static_cast<std::uint64_t>(d.st.st_size) != t.size) return false;
    if (owner && (d.st.st_uid != owner->uid || d.st.st_gid != owner->gid)) return false;
    if (t.mode && (d.st.st_mode & 07777) != *t.mode) return false;

    int fd = ::open(t.dest.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    bool same = ::fstat(fd, &st) == 0 && st.st_ino == d.st.st_ino && st.st_dev == d.st.st_dev;
    auto digest = same ? sha256_hex_of_fd(fd, t.dest) : Result<std::string>(std::string());
    ::close(fd);
    return digest.ok() && *digest == t.sha256_hex;
}

// Streams the fetched content into `temp`, counting and hashing it, and
// checks it against the target.
Status receive(const FileTarget& t, const ContentFetcher& fetch, TempFile& temp) {
    Sha256 sha;
    std::uint64_t received = 0;
    Status failed;
    ContentSink sink = [&](std::string_view bytes) -> Status {
        if (!failed.ok()) return failed;
        if (bytes.size() > t.size - received)
            failed = error(Code::data_loss, "the content of " + t.dest + " is longer than the " +
                                                std::to_string(t.size) + " bytes expected");
        else
            failed = temp.write(bytes);
        if (!failed.ok()) return failed;
        sha.update(bytes);
        received += bytes.size();
        return {};
    };

    Status fetched = fetch(sink);
    if (!failed.ok()) return failed;
    if (!fetched.ok()) return fetched.with_context("cannot fetch the content of " + t.dest);
    if (received != t.size)
        return error(Code::data_loss, "the content of " + t.dest + " is " +
                                          std::to_string(received) + " bytes, expected " +
                                          std::to_string(t.size));
    auto digest = sha.finish_hex();
    if (!digest.ok()) return digest.status();
    if (*digest != t.sha256_hex)
        return error(Code::data_loss, "the content of " + t.dest + " has SHA-256 " + *digest +
                                          ", expected " + t.sha256_hex);
    return {};
}

// Owner first, then mode: chown clears the setuid and setgid bits. With no
// owner asked for, a file that exists keeps its owner.
Status set_owner_and_mode(const TempFile& temp, const Destination& d,
                          std::optional<ResolvedOwner> owner, std::optional<unsigned> mode) {
    bool kept = !owner && d.exists;
    if (kept)
        owner = ResolvedOwner{d.st.st_uid, d.st.st_gid,
                              std::to_string(d.st.st_uid) + ":" + std::to_string(d.st.st_gid)};
    struct stat now {};
    if (::fstat(temp.fd(), &now) != 0) return system_error(errno, "cannot inspect " + temp.path());
    bool chown_needed = owner && (now.st_uid != owner->uid || now.st_gid != owner->gid);
    if (chown_needed && ::fchown(temp.fd(), owner->uid, owner->gid) != 0) {
        int err = errno;
        std::string what = std::string(kept ? "cannot keep the owner " : "cannot set owner ") +
                           owner->label + " (uid " + std::to_string(owner->uid) + ", gid " +
                           std::to_string(owner->gid) + ") of " + d.dir +
                           (d.dir.ends_with('/') ? "" : "/") + d.base;
        if (err == EPERM && ::geteuid() != 0)
            what += " (this agent runs as uid " + std::to_string(::geteuid()) +
                    ", which may give files only to itself and its own groups)";
        return system_error(err, what);
    }

    unsigned bits = mode ? *mode : d.exists ? (d.st.st_mode & 07777) : 0644;
    if (::fchmod(temp.fd(), bits) != 0)
        return system_error(errno, "cannot set mode " + format_mode(bits) + " on " + temp.path());
    return {};
}

}  // namespace

Result<WriteOutcome> write_file(const FileTarget& target, const ContentFetcher& fetch) {
    OASIS_RETURN_IF_ERROR(check_target(target));
    auto owner = resolve_owner(target.owner);
    if (!owner.ok()) return owner.status();
    auto dest = inspect_destination(target.dest);
    if (!dest.ok()) return dest.status();
    if (matches(*dest, target, *owner)) return WriteOutcome::unchanged;

    std::string prefix = temp_prefix(dest->base);
    remove_stale_temps(dest->dir, prefix);
    auto temp = TempFile::create(dest->dir, prefix);
    if (!temp.ok()) return temp.status();
    OASIS_RETURN_IF_ERROR(receive(target, fetch, *temp));
    OASIS_RETURN_IF_ERROR(set_owner_and_mode(*temp, *dest, *owner, target.mode));

    // The destination may have changed while the content streamed in: what
    // Oasis refuses to write over is refused here too. (A change after this
    // check and before the rename still goes unnoticed.)
    auto again = inspect_destination(target.dest);
    if (!again.ok()) return again.status();
    OASIS_RETURN_IF_ERROR(temp->commit(dest->dir, target.dest));
    return WriteOutcome::written;
}

}  // namespace oasis::agent
