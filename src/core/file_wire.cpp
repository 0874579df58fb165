// Codecs of the `oasis file` messages (include/oasis/file_wire.h).
#include "oasis/file_wire.h"

#include "oasis/file_spec.h"
#include "oasis/sha256.h"
#include "wire_json.h"

namespace oasis::wire {

namespace {

void write_revision(JsonWriter& w, const FileRevision& v) {
    w.begin_object();
    w.field("number", v.number);
    w.field("sha256", v.sha256);
    w.field("size", v.size);
    w.field("dest", v.dest);
    if (v.mode) w.field("mode", format_mode(*v.mode));
    if (!v.owner.empty()) w.field("owner", v.owner);
    w.field("time_ms", v.time_ms);
    w.field("caller", v.caller);
    if (v.rollback_of) w.field("rollback_of", v.rollback_of);
    write_strings(w, "batches", v.batches);
    w.end_object();
}

FileRevision read_revision(ObjectReader& r) {
    FileRevision v;
    v.number = static_cast<std::uint64_t>(r.int64("number", true, 1, kMaxTime));
    v.sha256 = r.str("sha256", true, 64);
    v.size = static_cast<std::uint64_t>(r.int64("size", true, 0, kMaxTime));
    v.dest = r.str("dest", true, 4096);
    v.mode = read_mode(r);
    v.owner = r.str("owner", false, 80);
    v.time_ms = r.int64("time_ms", false, 0, kMaxTime);
    v.caller = r.str("caller", false, 256);
    v.rollback_of = static_cast<std::uint64_t>(r.int64("rollback_of", false, 0, kMaxTime));
    v.batches = r.strings("batches", false);
    if (!r.failed() && !is_sha256_hex(v.sha256))
        r.fail("sha256", "is not 64 lower-case hex digits");
    return v;
}

void write_run_fields(JsonWriter& w, const std::string& batch_id, const std::string& selector,
                      int timeout_sec) {
    if (!batch_id.empty()) w.field("batch_id", batch_id);
    w.field("selector", selector);
    w.field("timeout_sec", timeout_sec);
}

// batch_id, selector and timeout_sec, as decode_exec_run_request reads them.
template <typename T>
void read_run_fields(ObjectReader& r, T& v) {
    v.batch_id = r.str("batch_id", false, 64);
    if (!v.batch_id.empty() && !is_valid_batch_id(v.batch_id))
        r.fail("batch_id", "is not a batch id (they look like b-1a2b3c4d5e6f)");
    v.selector = r.str("selector", true, kMaxSelectorBytes);
    v.timeout_sec = static_cast<int>(r.int64("timeout_sec", false, 1, kMaxTimeoutSec, 600));
}

// A source path as the CLI sends it: absolute and normalised, so that
// `file history` can name it again (and no terminal control in it).
void check_source_path(ObjectReader& r, const std::string& path) {
    if (r.failed()) return;
    if (Status st = check_destination(path, "source path"); !st.ok())
        r.fail("source_path", st.message());
}

}  // namespace

std::string file_history_key(std::string_view source_path) {
    Sha256 sha;
    sha.update(source_path);
    auto hex = sha.finish_hex();
    return "p" + (hex.ok() ? *hex : std::string(64, '0'));
}

std::string encode(const FileHistory& v) {
    JsonWriter w;
    begin(w);
    w.field("source_path", v.source_path);
    w.key("revisions").begin_array();
    for (const auto& r : v.revisions) write_revision(w, r);
    w.end_array();
    return w.end_object().take();
}

Result<FileHistory> decode_file_history(std::string_view json) {
    return decode_with<FileHistory>(json, [](ObjectReader& r) {
        FileHistory v;
        v.source_path = r.str("source_path", true, kMaxSourcePathBytes);
        for (auto& item : r.objects("revisions", false)) v.revisions.push_back(read_revision(item));
        return v;
    });
}

std::string encode(const FileApplyRequest& v) {
    JsonWriter w;
    begin(w);
    write_run_fields(w, v.batch_id, v.selector, v.timeout_sec);
    write_file_write(w, v.file);
    return w.end_object().take();
}

Result<FileApplyRequest> decode_file_apply_request(std::string_view json) {
    return decode_with<FileApplyRequest>(json, [](ObjectReader& r) {
        FileApplyRequest v;
        read_run_fields(r, v);
        if (auto f = read_file_write(r, true)) v.file = std::move(*f);
        check_source_path(r, v.file.source_path);
        return v;
    });
}

std::string encode(const FileRollbackRequest& v) {
    JsonWriter w;
    begin(w);
    write_run_fields(w, v.batch_id, v.selector, v.timeout_sec);
    w.field("source_path", v.source_path);
    w.field("revision", v.revision);
    w.field("dest", v.dest);
    return w.end_object().take();
}

Result<FileRollbackRequest> decode_file_rollback_request(std::string_view json) {
    return decode_with<FileRollbackRequest>(json, [](ObjectReader& r) {
        FileRollbackRequest v;
        read_run_fields(r, v);
        v.source_path = r.str("source_path", true, kMaxSourcePathBytes);
        v.revision = static_cast<std::uint64_t>(r.int64("revision", true, 1, kMaxTime));
        v.dest = r.str("dest", true, 4096);
        check_source_path(r, v.source_path);
        if (!r.failed())
            if (Status st = check_destination(v.dest); !st.ok()) r.fail("dest", st.message());
        return v;
    });
}

std::string encode(const FileApplyReply& v) {
    JsonWriter w;
    begin(w);
    write_started(w, v.batch, v.offline);
    w.key("revision");
    write_revision(w, v.revision);
    w.field("new_revision", v.new_revision);
    return w.end_object().take();
}

Result<FileApplyReply> decode_file_apply_reply(std::string_view json) {
    return decode_with<FileApplyReply>(json, [](ObjectReader& r) {
        FileApplyReply v;
        if (auto b = r.object("batch")) v.batch = read_batch(*b);
        v.offline = r.strings("offline", false);
        if (auto rev = r.object("revision")) v.revision = read_revision(*rev);
        v.new_revision = r.boolean("new_revision");
        return v;
    });
}

std::string encode(const FileHistoryRequest& v) {
    JsonWriter w;
    begin(w);
    w.field("source_path", v.source_path);
    return w.end_object().take();
}

Result<FileHistoryRequest> decode_file_history_request(std::string_view json) {
    return decode_with<FileHistoryRequest>(json, [](ObjectReader& r) {
        FileHistoryRequest v;
        v.source_path = r.str("source_path", true, kMaxSourcePathBytes);
        check_source_path(r, v.source_path);
        return v;
    });
}

std::string encode(const FileHistoryReply& v) {
    JsonWriter w;
    begin(w);
    w.field("source_path", v.source_path);
    w.key("revisions").begin_array();
    for (const auto& view : v.revisions) {
        w.begin_object();
        w.key("revision");
        write_revision(w, view.revision);
        write_strings(w, "applied", view.applied);
        write_strings(w, "failed", view.failed);
        w.field("applied_count", static_cast<std::uint64_t>(view.applied_count));
        w.field("failed_count", static_cast<std::uint64_t>(view.failed_count));
        w.field("pending", static_cast<std::uint64_t>(view.pending));
        w.end_object();
    }
    w.end_array();
    if (v.older_omitted) w.field("older_omitted", static_cast<std::uint64_t>(v.older_omitted));
    return w.end_object().take();
}

Result<FileHistoryReply> decode_file_history_reply(std::string_view json) {
    return decode_with<FileHistoryReply>(json, [](ObjectReader& r) {
        FileHistoryReply v;
        v.source_path = r.str("source_path", true, kMaxSourcePathBytes);
        for (auto& item : r.objects("revisions", false)) {
            RevisionView view;
            if (auto rev = item.object("revision")) view.revision = read_revision(*rev);
            view.applied = item.strings("applied", false);
            view.failed = item.strings("failed", false);
            view.applied_count =
                static_cast<std::size_t>(item.int64("applied_count", false, 0, kMaxTime));
            view.failed_count =
                static_cast<std::size_t>(item.int64("failed_count", false, 0, kMaxTime));
            view.pending = static_cast<std::size_t>(item.int64("pending", false, 0, kMaxTime));
            v.revisions.push_back(std::move(view));
        }
        v.older_omitted = static_cast<std::size_t>(r.int64("older_omitted", false, 0, kMaxTime));
        return v;
    });
}

std::string encode(const FileCheckReply& v) {
    JsonWriter w;
    begin(w);
    w.field("targets", static_cast<std::uint64_t>(v.targets));
    w.field("offline", static_cast<std::uint64_t>(v.offline));
    return w.end_object().take();
}

Result<FileCheckReply> decode_file_check_reply(std::string_view json) {
    return decode_with<FileCheckReply>(json, [](ObjectReader& r) {
        FileCheckReply v;
        v.targets = static_cast<std::size_t>(r.int64("targets", true, 0, kMaxTime));
        v.offline = static_cast<std::size_t>(r.int64("offline", false, 0, kMaxTime));
        return v;
    });
}

std::string encode(const FileClearRequest& v) {
    JsonWriter w;
    begin(w);
    w.field("confirm", v.confirm);
    return w.end_object().take();
}

Result<FileClearRequest> decode_file_clear_request(std::string_view json) {
    return decode_with<FileClearRequest>(
        json, [](ObjectReader& r) { return FileClearRequest{r.boolean("confirm")}; });
}

std::string encode(const FileClearReply& v) {
    JsonWriter w;
    begin(w);
    w.field("objects", static_cast<std::uint64_t>(v.objects));
    w.field("histories", static_cast<std::uint64_t>(v.histories));
    return w.end_object().take();
}

Result<FileClearReply> decode_file_clear_reply(std::string_view json) {
    return decode_with<FileClearReply>(json, [](ObjectReader& r) {
        FileClearReply v;
        v.objects = static_cast<std::size_t>(r.int64("objects", false, 0, kMaxTime));
        v.histories = static_cast<std::size_t>(r.int64("histories", false, 0, kMaxTime));
        return v;
    });
}

}  // namespace oasis::wire
