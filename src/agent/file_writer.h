// FileWriter: the agent's local half of a file task. It writes content that
// a callback fetches (from the object store, in the agent) to an absolute
// path, with an optional owner and mode, and replaces the destination
// atomically or not at all. No NATS here.
//
// Steps, in order; the first failure ends the call:
//   1. Check the target: check_destination(), a 64-hex digest, a mode of at
//      most 07777.
//   2. Resolve the owner: names through the user and group databases,
//      numeric ids as given (even with no entry). Nothing is fetched or
//      written before this succeeds.
//   3. Inspect the destination without following it. Refused: a directory,
//      a symbolic link (never written through, never replaced), a fifo,
//      socket or device, and a missing parent directory (never created).
//   4. Unchanged: a regular file of the expected size and SHA-256, with the
//      given owner and mode if any, is left alone (same inode, same mtime)
//      and the content is not fetched.
//   5. Remove stale temp files of this destination: `.<basename>.oasis-tmp-*`
//      regular files in its directory that no writer holds (an agent killed
//      mid-write leaves one). Nothing else, and no symlink, is removed.
//   6. Stream the content into a new temp file beside the destination (see
//      agent/temp_file.h), counting and hashing each chunk as it is written:
//      memory use does not grow with the file.
//   7. Check size and digest (data_loss naming both when they differ), set
//      the owner, then the mode (after the owner: chown clears setuid and
//      setgid), fsync, rename over the destination, fsync the directory.
// A failure after the temp file exists removes it and leaves the destination
// as it was. Errors say what failed on which path, on one line.
//
// Owner and mode when not given: an existing file keeps its own; a new file
// gets mode 0644 and the agent's uid and gid (the directory's group when
// the directory is setgid, as for any file created there).
//
// Thread-safety: write_file() is safe to call concurrently, for different
// destinations or the same one. Two writes to one destination both finish:
// the last rename wins, and the file holds one whole revision.
#pragma once

#include "oasis/file_spec.h"
#include "oasis/status.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace oasis::agent {

struct FileTarget {
    std::string dest;              // absolute path, as check_destination() accepts
    std::optional<unsigned> mode;  // permission and special bits, at most 07777
    std::optional<Owner> owner;    // from parse_owner()
    std::string sha256_hex;        // expected content digest, 64 lower-case hex
    std::uint64_t size = 0;        // expected size in bytes
};

enum class WriteOutcome { written, unchanged };

// Takes the next chunk of content. The bytes are only borrowed for the call.
// A non-ok Status means "stop": the fetcher should return it (write_file
// reports the sink's error even if the fetcher does not).
using ContentSink = std::function<Status(std::string_view bytes)>;

// Hands the whole content to `sink`, in chunks of any size (none at all for
// empty content), and returns ok once it has; an error aborts the write. It
// is called at most once, on the calling thread, and may not keep `sink`.
// It may call `sink` from another thread of its own, one call at a time,
// as long as every call has returned before it does.
using ContentFetcher = std::function<Status(const ContentSink& sink)>;

// Writes `target.dest` as described above. Errors: invalid_argument (a bad
// target, or a destination Oasis refuses), not_found (an unknown user or
// group, a missing directory), data_loss (content not as expected),
// permission_denied or io_error (a system call failed: EPERM and EACCES are
// permission_denied), or the fetcher's own error with the destination as
// context.
Result<WriteOutcome> write_file(const FileTarget& target, const ContentFetcher& fetch);

}  // namespace oasis::agent
