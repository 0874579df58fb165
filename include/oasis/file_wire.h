// The messages of `oasis file` (issue 4): the revisions kept per source
// path, and the file.* control requests and replies. Same rules as wire.h:
// one JSON object with "api", unknown fields accepted, every known field
// checked, the first problem named.
#pragma once

#include "oasis/wire.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oasis::wire {

// One revision of a source path: what was shipped, where, by whom.
struct FileRevision {
    std::uint64_t number = 0;  // from 1, per source path
    std::string sha256;        // the content (also its object's name)
    std::uint64_t size = 0;
    std::string dest;
    std::optional<unsigned> mode;
    std::string owner;  // "user:group"; empty: an existing file's kept
    std::int64_t time_ms = 0;
    std::string caller;
    std::uint64_t rollback_of = 0;  // the revision whose content this restores
    // The batches that wrote it, oldest first: the newest kMaxBatchesKept.
    std::vector<std::string> batches;
};

// The revisions of one source path: the value of its key in
// kFileRevisionBucket (file_history_key).
struct FileHistory {
    std::string source_path;
    std::vector<FileRevision> revisions;  // oldest first
};

// A history keeps its newest kMaxRevisionsKept revisions (numbers go on
// counting), each the newest kMaxBatchesKept batches: the entry stays well
// inside one NATS message.
inline constexpr std::size_t kMaxRevisionsKept = 200;
inline constexpr std::size_t kMaxBatchesKept = 16;
// A source path as the CLI records it: absolute, at most this long.
inline constexpr std::size_t kMaxSourcePathBytes = 4096;

// The key of a source path's history: "p" and the SHA-256 of the path in
// hex. A path may be longer than a subject token may be, and hold bytes no
// key may.
std::string file_history_key(std::string_view source_path);

// --- control requests and replies -------------------------------------------

// file.apply: `file` names content already stored in kFileBucket (the CLI
// puts it first); its revision number is the server's to give.
struct FileApplyRequest {
    std::string batch_id;  // as in ExecRunRequest
    std::string selector;
    int timeout_sec = 600;
    FileWrite file;
};

// file.rollback: revision `revision` of `source_path`, written to `dest`
// with that revision's content, mode and owner.
struct FileRollbackRequest {
    std::string batch_id;
    std::string selector;
    int timeout_sec = 600;
    std::string source_path;
    std::uint64_t revision = 0;
    std::string dest;
};

struct FileApplyReply {
    Batch batch;
    std::vector<std::string> offline;
    FileRevision revision;
    // False when the content, dest, mode and owner were those of the newest
    // revision already: no revision was made, and the batch is added to it.
    bool new_revision = false;
};

struct FileHistoryRequest {
    std::string source_path;
};

// A revision with where it was applied, from its batches' results: the
// newest outcome per node wins.
// The lists name at most kMaxNodesShown nodes each; the counts are whole.
struct RevisionView {
    FileRevision revision;
    std::vector<std::string> applied;  // written or unchanged
    std::vector<std::string> failed;   // any other final state
    std::size_t applied_count = 0;
    std::size_t failed_count = 0;
    std::size_t pending = 0;
};
inline constexpr std::size_t kMaxNodesShown = 20;

struct FileHistoryReply {
    std::string source_path;
    std::vector<RevisionView> revisions;  // newest first
    // Revisions older than the last one listed, left out to fit one message.
    std::size_t older_omitted = 0;
};

// file.check's answer to a FileApplyRequest: how many nodes it would reach.
struct FileCheckReply {
    std::size_t targets = 0;
    std::size_t offline = 0;
};

struct FileClearRequest {
    bool confirm = false;  // must be true: the CLI asked, or got --yes
};
struct FileClearReply {
    std::size_t objects = 0;    // objects the store held
    std::size_t histories = 0;  // source paths with a history
};

std::string encode(const FileHistory& v);
std::string encode(const FileApplyRequest& v);
std::string encode(const FileRollbackRequest& v);
std::string encode(const FileApplyReply& v);
std::string encode(const FileHistoryRequest& v);
std::string encode(const FileHistoryReply& v);
std::string encode(const FileCheckReply& v);
std::string encode(const FileClearRequest& v);
std::string encode(const FileClearReply& v);

Result<FileHistory> decode_file_history(std::string_view json);
Result<FileApplyRequest> decode_file_apply_request(std::string_view json);
Result<FileRollbackRequest> decode_file_rollback_request(std::string_view json);
Result<FileApplyReply> decode_file_apply_reply(std::string_view json);
Result<FileHistoryRequest> decode_file_history_request(std::string_view json);
Result<FileHistoryReply> decode_file_history_reply(std::string_view json);
Result<FileCheckReply> decode_file_check_reply(std::string_view json);
Result<FileClearRequest> decode_file_clear_request(std::string_view json);
Result<FileClearReply> decode_file_clear_reply(std::string_view json);

}  // namespace oasis::wire
