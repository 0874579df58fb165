// The file.* control requests (issue 4): content is stored by the CLI in the
// object store, named by its SHA-256; the server numbers revisions per
// source path in a key-value bucket and sends each chosen node a signed task
// that names the content, which the agent fetches and writes itself.
#include "control.h"

#include "audit_trail.h"

#include "oasis/file_spec.h"
#include "oasis/log.h"
#include "oasis/object_store.h"
#include "oasis/sha256.h"

#include <algorithm>
#include <map>

namespace oasis::server {

namespace {

constexpr int kHistoryWriteTries = 10;

std::string history_subject(std::string_view source_path) {
    return "$KV." + std::string(wire::kFileRevisionBucket) + "." +
           wire::file_history_key(source_path);
}

std::string history_stream() {
    return "KV_" + std::string(wire::kFileRevisionBucket);
}

// Whether two revisions ship the same bytes to the same place the same way.
bool same_shipment(const wire::FileRevision& a, const wire::FileRevision& b) {
    return a.sha256 == b.sha256 && a.dest == b.dest && a.mode == b.mode && a.owner == b.owner;
}

void add_batch(wire::FileRevision& revision, const std::string& batch_id) {
    revision.batches.push_back(batch_id);
    if (revision.batches.size() > wire::kMaxBatchesKept)
        revision.batches.erase(revision.batches.begin());
}

// A revision as the history's reader sees it: which nodes hold it, from the
// outcome of each node's newest batch.
wire::RevisionView view_of(const wire::FileRevision& revision,
                           const std::vector<std::unordered_map<std::string, bool>>& batches,
                           std::size_t pending) {
    std::map<std::string, bool> latest;  // sorted, for the lists
    for (const auto& successes : batches)
        for (const auto& [agent, ok] : successes) latest[agent] = ok;
    wire::RevisionView view;
    view.revision = revision;
    view.pending = pending;
    for (const auto& [agent, ok] : latest) {
        auto& names = ok ? view.applied : view.failed;
        (ok ? view.applied_count : view.failed_count)++;
        if (names.size() < wire::kMaxNodesShown) names.push_back(agent);
    }
    return view;
}

}  // namespace

Status ControlService::check_stored_content(const std::string& sha256, std::uint64_t size) {
    ObjectStore store(bus_);
    auto info = store.info(wire::kFileBucket, wire::file_object_name(sha256));
    if (!info.ok()) {
        if (info.status().code() == Code::not_found)
            return error(Code::not_found,
                         "content sha256 " + sha256 +
                             " is not in the file store (cleared meanwhile?); apply the file "
                             "again to store it");
        return info.status().with_context("file store");
    }
    auto stored = object_digest_to_hex(info->digest);
    if (!stored.ok() || *stored != sha256 || info->size != size)
        return error(Code::data_loss, "the stored object for sha256 " + sha256 +
                                          " does not hold that content; apply the file again");
    return {};
}

std::optional<std::string> ControlService::inline_content(const wire::FileWrite& file) {
    if (file.size > wire::kMaxInlineFileBytes) return std::nullopt;
    ObjectStore store(bus_);
    std::string bytes;
    auto got = store.get(wire::kFileBucket, wire::file_object_name(file.sha256),
                         [&bytes](std::string_view chunk) {
                             bytes.append(chunk);
                             return Status{};
                         });
    // get() checked the bytes against the object's digest; that digest
    // must be the file's.
    Status st = got.status();
    auto hex = st.ok() ? object_digest_to_hex(got->digest) : Result<std::string>(st);
    if (st.ok() && (bytes.size() != file.size || !hex.ok() || *hex != file.sha256))
        st = error(Code::data_loss, "the stored object does not hold the file's content");
    if (!st.ok()) {
        log::warn("control", "file.not_inlined",
                  {{"sha256", file.sha256}, {"error", st.message()}});
        return std::nullopt;
    }
    return bytes;
}

Result<wire::FileApplyReply> ControlService::record_revision(const std::string& source_path,
                                                             wire::FileRevision candidate,
                                                             const std::string& batch_id) {
    const std::string subject = history_subject(source_path);
    for (int attempt = 0; attempt < kHistoryWriteTries; ++attempt) {
        wire::FileHistory history;
        history.source_path = source_path;
        PublishOptions cas;
        auto last = bus_.get_last(history_stream(), subject);
        if (last.ok()) {
            auto decoded = wire::decode_file_history(last->data);
            if (!decoded.ok())
                return decoded.status().with_context("the stored history of " + source_path);
            if (decoded->source_path != source_path)
                return error(Code::internal, "history key collision for " + source_path);
            history = std::move(*decoded);
            cas.expected_last_subject_seq = last->stream_seq;
        } else if (last.status().code() == Code::not_found) {
            cas.only_if_subject_empty = true;
        } else {
            return last.status().with_context("read the history of " + source_path);
        }

        wire::FileApplyReply out;
        if (!history.revisions.empty() && same_shipment(history.revisions.back(), candidate)) {
            add_batch(history.revisions.back(), batch_id);
            out.revision = history.revisions.back();
        } else {
            candidate.number = history.revisions.empty() ? 1 : history.revisions.back().number + 1;
            candidate.batches = {batch_id};
            history.revisions.push_back(candidate);
            if (history.revisions.size() > wire::kMaxRevisionsKept)
                history.revisions.erase(history.revisions.begin());
            out.revision = candidate;
            out.new_revision = true;
        }
        // The whole history is one message: past what NATS takes in one
        // (long destinations, escaped in JSON, can get there before 200
        // revisions), the oldest revisions go, or the path could never
        // take a revision again.
        std::string encoded = wire::encode(history);
        const auto max_payload = static_cast<std::size_t>(bus_.max_payload());
        const std::size_t budget = max_payload > 8192 ? max_payload - 4096 : max_payload / 2;
        while (encoded.size() > budget && history.revisions.size() > 1) {
            // As many of the oldest as the excess is a share of the whole
            // (at least one): one or two encodings, not one per revision.
            std::size_t n = history.revisions.size();
            std::size_t drop = n * (encoded.size() - budget) / encoded.size() + 1;
            history.revisions.erase(
                history.revisions.begin(),
                history.revisions.begin() + static_cast<std::ptrdiff_t>(std::min(drop, n - 1)));
            encoded = wire::encode(history);
        }
        auto stored = bus_.js_publish(subject, encoded, cas);
        if (stored.ok()) return out;
        if (stored.status().code() != Code::conflict)
            return stored.status().with_context("store the history of " + source_path);
    }
    return error(Code::unavailable, "the history of " + source_path +
                                        " kept changing while this revision was recorded; "
                                        "try again");
}

Result<std::string> ControlService::start_file_batch(wire::FileApplyReply revision,
                                                     wire::FileWrite file,
                                                     const std::string& selector, int timeout_sec,
                                                     const Selection& picked,
                                                     wire::AuditRecord& audit) {
    file.revision = revision.revision.number;
    if (!audit.request.revision) audit.request.revision = file.revision;  // apply: the one made
    wire::Batch batch;
    batch.batch_id = revision.revision.batches.back();
    batch.kind = "file";
    batch.file = file;
    batch.selector = selector;
    batch.timeout_sec = timeout_sec;
    auto content = inline_content(file);
    auto started = dispatch(std::move(batch), picked, audit, [&file, &content](wire::Task& t) {
        t.kind = wire::TaskKind::file;
        t.file = file;
        t.content = content;
    });
    if (!started.ok()) return started.status();
    revision.batch = std::move(started->batch);
    revision.offline = std::move(started->offline);
    log::info("control", "file.batch",
              {{"batch_id", revision.batch.batch_id},
               {"source_path", file.source_path},
               {"revision", std::to_string(file.revision)},
               {"new_revision", revision.new_revision ? "true" : "false"},
               {"caller", audit.caller}});
    return wire::encode(revision);
}

Result<std::string> ControlService::file_apply(std::string_view payload, wire::AuditRecord& audit) {
    auto req = wire::decode_file_apply_request(payload);
    if (!req.ok()) return req.status();
    audit.request = summarize(*req);
    std::string batch_id = req->batch_id.empty() ? wire::new_batch_id() : req->batch_id;
    OASIS_RETURN_IF_ERROR(check_new_batch_id(batch_id));
    OASIS_RETURN_IF_ERROR(check_stored_content(req->file.sha256, req->file.size));
    auto picked = pick(req->selector, audit, "nothing was written and no revision was made");
    if (!picked.ok()) return picked.status();

    wire::FileRevision candidate;
    candidate.sha256 = req->file.sha256;
    candidate.size = req->file.size;
    candidate.dest = req->file.dest;
    candidate.mode = req->file.mode;
    candidate.owner = req->file.owner;
    candidate.time_ms = wire::now_ms();
    candidate.caller = audit.caller;
    auto revision = record_revision(req->file.source_path, candidate, batch_id);
    if (!revision.ok()) return revision.status();
    return start_file_batch(std::move(*revision), req->file, req->selector, req->timeout_sec,
                            *picked, audit);
}

Result<std::string> ControlService::file_check(std::string_view payload, wire::AuditRecord& audit) {
    auto req = wire::decode_file_apply_request(payload);
    if (!req.ok()) return req.status();
    if (!req->batch_id.empty()) OASIS_RETURN_IF_ERROR(check_new_batch_id(req->batch_id));
    auto picked = pick(req->selector, audit, "nothing was stored");
    if (!picked.ok()) return picked.status();
    return wire::encode(wire::FileCheckReply{picked->online.size() + picked->offline.size(),
                                             picked->offline.size()});
}

Result<std::string> ControlService::file_rollback(std::string_view payload,
                                                  wire::AuditRecord& audit) {
    auto req = wire::decode_file_rollback_request(payload);
    if (!req.ok()) return req.status();
    audit.request = summarize(*req);
    std::string batch_id = req->batch_id.empty() ? wire::new_batch_id() : req->batch_id;
    OASIS_RETURN_IF_ERROR(check_new_batch_id(batch_id));

    auto stored = bus_.get_last(history_stream(), history_subject(req->source_path));
    if (!stored.ok()) {
        if (stored.status().code() == Code::not_found)
            return error(Code::not_found,
                         "no revisions of " + req->source_path + " (see `oasis file history`)");
        return stored.status().with_context("read the history of " + req->source_path);
    }
    auto history = wire::decode_file_history(stored->data);
    if (!history.ok()) return history.status().with_context("stored history");
    auto it = std::find_if(history->revisions.begin(), history->revisions.end(),
                           [&](const wire::FileRevision& r) { return r.number == req->revision; });
    if (it == history->revisions.end()) {
        std::string kept = history->revisions.empty()
                               ? ""
                               : "; the history keeps revisions " +
                                     std::to_string(history->revisions.front().number) + " to " +
                                     std::to_string(history->revisions.back().number);
        return error(Code::not_found, "no revision " + std::to_string(req->revision) + " of " +
                                          req->source_path + kept + " (see `oasis file history`)");
    }
    OASIS_RETURN_IF_ERROR(check_stored_content(it->sha256, it->size));
    auto picked = pick(req->selector, audit, "nothing was written and no revision was made");
    if (!picked.ok()) return picked.status();

    wire::FileRevision candidate = *it;
    candidate.dest = req->dest;
    candidate.time_ms = wire::now_ms();
    candidate.caller = audit.caller;
    candidate.rollback_of = it->number;
    candidate.batches.clear();
    auto revision = record_revision(req->source_path, candidate, batch_id);
    if (!revision.ok()) return revision.status();

    wire::FileWrite file;
    file.source_path = req->source_path;
    file.sha256 = candidate.sha256;
    file.size = candidate.size;
    file.dest = candidate.dest;
    file.mode = candidate.mode;
    file.owner = candidate.owner;
    return start_file_batch(std::move(*revision), file, req->selector, req->timeout_sec, *picked,
                            audit);
}

Result<std::string> ControlService::file_history(std::string_view payload, wire::AuditRecord&) {
    auto req = wire::decode_file_history_request(payload);
    if (!req.ok()) return req.status();
    auto stored = bus_.get_last(history_stream(), history_subject(req->source_path));
    if (!stored.ok()) {
        if (stored.status().code() == Code::not_found)
            return error(Code::not_found,
                         "no revisions of " + req->source_path +
                             ": nothing was applied from that path (source paths are recorded "
                             "absolute, as `oasis file apply --src` resolved them)");
        return stored.status().with_context("read the history of " + req->source_path);
    }
    auto history = wire::decode_file_history(stored->data);
    if (!history.ok()) return history.status().with_context("stored history");

    wire::FileHistoryReply reply;
    reply.source_path = history->source_path;
    const std::size_t budget = static_cast<std::size_t>(bus_.max_payload()) / 2;
    std::size_t size = 0;
    for (auto it = history->revisions.rbegin(); it != history->revisions.rend(); ++it) {
        std::vector<std::unordered_map<std::string, bool>> outcomes;
        std::size_t pending = 0;
        for (const auto& batch_id : it->batches) {
            auto report = find_batch(batch_id);  // loads an older record into the book
            if (!report.ok()) continue;          // expired from the batch stream
            pending += report->pending.size();
            if (auto successes = book_.successes(batch_id)) outcomes.push_back(*successes);
        }
        auto view = view_of(*it, outcomes, pending);
        // Oldest revisions are left out when the reply would not fit.
        std::size_t one = 512 + (view.applied.size() + view.failed.size()) * 80 + it->dest.size() +
                          it->batches.size() * 20;
        if (!reply.revisions.empty() && size + one > budget) {
            reply.older_omitted = static_cast<std::size_t>(history->revisions.rend() - it);
            break;
        }
        size += one;
        reply.revisions.push_back(std::move(view));
    }
    return wire::encode(reply);
}

Result<std::string> ControlService::file_clear(std::string_view payload, wire::AuditRecord& audit) {
    auto req = wire::decode_file_clear_request(payload);
    if (!req.ok()) return req.status();
    if (!req->confirm)
        return error(Code::invalid_argument,
                     "file.clear deletes every stored file and history: the request must "
                     "confirm it (`oasis file clear` asks, or takes --yes)");
    ObjectStore store(bus_);
    wire::FileClearReply reply;
    if (auto objects = store.list(wire::kFileBucket); objects.ok()) reply.objects = objects->size();
    if (auto histories = bus_.stream_state(history_stream()); histories.ok())
        reply.histories = static_cast<std::size_t>(histories->msgs);

    // Deleting the streams drops everything at once; the empty ones are made
    // again so that the next apply finds them.
    OASIS_RETURN_IF_ERROR(
        bus_.delete_stream(object_stream(wire::kFileBucket)).with_context("delete the file store"));
    OASIS_RETURN_IF_ERROR(
        bus_.delete_stream(history_stream()).with_context("delete the file histories"));
    OASIS_RETURN_IF_ERROR(store.ensure_bucket(wire::kFileBucket));
    OASIS_RETURN_IF_ERROR(bus_.ensure_kv_bucket(wire::kFileRevisionBucket, 1));
    log::warn("control", "file.cleared",
              {{"objects", std::to_string(reply.objects)},
               {"histories", std::to_string(reply.histories)},
               {"caller", audit.caller}});
    return wire::encode(reply);
}

}  // namespace oasis::server
