// Codecs of the audit trail's messages (include/oasis/audit.h).
#include "oasis/audit.h"

#include "json_reader.h"
#include "wire_json.h"
#include "oasis/config.h"
#include "oasis/json.h"
#include "oasis/wire.h"

namespace oasis::wire {

namespace {

constexpr std::string_view kAuditPrefix = "oasis.audit.";
constexpr std::string_view kAlertPrefix = "oasis.alert.";
constexpr std::string_view kStoredAlertPrefix = "oasis.audit.alert.";
// An outcome or a reason shown by `audit list` (the stream keeps it whole).
constexpr std::size_t kListedTextBytes = 2048;



void write_request(JsonWriter& w, const AuditRequest& v) {
    w.key("request").begin_object();
    if (!v.batch_id.empty()) w.field("batch_id", v.batch_id);
    if (!v.selector.empty()) w.field("selector", v.selector);
    if (!v.argv.empty()) write_strings(w, "argv", v.argv);
    if (v.timeout_sec > 0) w.field("timeout_sec", v.timeout_sec);
    if (v.targets) w.field("targets", *v.targets);
    if (!v.agent_id.empty()) w.field("agent_id", v.agent_id);
    if (v.labels) {
        w.key("labels").begin_object();
        for (const auto& [k, value] : *v.labels) w.field(k, value);
        w.end_object();
    }
    if (v.groups) write_strings(w, "groups", *v.groups);
    if (!v.source_path.empty()) w.field("source_path", v.source_path);
    if (!v.dest.empty()) w.field("dest", v.dest);
    if (!v.sha256.empty()) w.field("sha256", v.sha256);
    if (v.revision) w.field("revision", v.revision);
    if (v.shortened) w.field("shortened", true);
    w.end_object();
}

// The fields of a record, inside an object the caller opened.
void write_record(JsonWriter& w, const AuditRecord& v) {
    w.field("time_ms", v.time_ms);
    w.field("caller", v.caller);
    w.field("action", v.action);
    write_request(w, v.request);
    w.field("outcome", v.outcome);
    if (!v.batch_id.empty()) w.field("batch_id", v.batch_id);
    w.field("server", v.server);
}

void write_alert(JsonWriter& w, const Alert& v) {
    w.field("kind", v.kind);
    w.field("agent_id", v.agent_id);
    w.field("task_id", v.task_id);
    w.field("batch_id", v.batch_id);
    w.field("reason", v.reason);
    w.field("time_ms", v.time_ms);
}

AuditRequest read_request(ObjectReader& r) {
    AuditRequest v;
    v.batch_id = r.str("batch_id", false, 64);
    v.selector = r.str("selector", false, kMaxSelectorBytes);
    v.argv = r.strings("argv", false);
    v.timeout_sec = static_cast<int>(r.int64("timeout_sec", false, 0, kMaxTimeoutSec));
    if (r.has("targets"))
        v.targets = static_cast<std::uint64_t>(r.int64("targets", true, 0, kMaxTime));
    v.agent_id = r.str("agent_id", false, 64);
    if (r.has("labels")) v.labels = r.string_map("labels");
    if (r.has("groups")) v.groups = r.strings("groups");
    v.source_path = r.str("source_path", false, 4096);
    v.dest = r.str("dest", false, 4096);
    v.sha256 = r.str("sha256", false, 64);
    v.revision = static_cast<std::uint64_t>(r.int64("revision", false, 0, kMaxTime));
    v.shortened = r.boolean("shortened");
    return v;
}

AuditRecord read_record(ObjectReader& r) {
    AuditRecord v;
    v.time_ms = r.int64("time_ms", true, 0, kMaxTime);
    v.caller = r.str("caller", true, kMaxCallerBytes);
    if (!r.failed() && !is_valid_caller(v.caller))
        r.fail("caller", "is not a caller token ([A-Za-z0-9_-], 1 to 64)");
    v.action = r.str("action", true, 128);
    if (!r.failed() && v.action.empty()) r.fail("action", "is empty");
    if (auto req = r.object("request")) v.request = read_request(*req);
    v.outcome = r.str("outcome");
    if (!r.failed() && v.outcome.empty()) r.fail("outcome", "is empty");
    v.batch_id = r.str("batch_id", false, 64);
    v.server = r.str("server", false, 256);
    return v;
}

Alert read_alert(ObjectReader& r) {
    Alert v;
    v.kind = r.str("kind", true, 64);
    if (!r.failed() && v.kind.empty()) r.fail("kind", "is empty");
    v.agent_id = r.str("agent_id", true, 64);
    if (!r.failed() && !is_valid_agent_id(v.agent_id)) r.fail("agent_id", "is not an agent id");
    v.task_id = r.str("task_id", false, 160);
    v.batch_id = r.str("batch_id", false, 64);
    v.reason = r.str("reason", false);
    v.time_ms = r.int64("time_ms", false, 0, kMaxTime);
    return v;
}

AuditEntry read_entry(ObjectReader& r) {
    AuditEntry v;
    v.seq = static_cast<std::uint64_t>(r.int64("seq", true, 1, kMaxTime));
    v.stored_ms = r.int64("stored_ms", false, 0, kMaxTime);
    if (auto rec = r.object("record", false))
        v.what = read_record(*rec);
    else if (auto alert = r.object("alert", false))
        v.what = read_alert(*alert);
    else if (!r.failed())
        r.fail("record", "is required (or \"alert\")");
    return v;
}

}  // namespace

std::string shorten(std::string text, std::size_t max) {
    if (text.size() <= max) return text;
    std::size_t end = 0;
    while (end < max) {
        std::size_t n = utf8_sequence_length(std::string_view(text).substr(end));
        if (n == 0) n = 1;  // a broken byte; the JSON writer replaces it
        if (end + n > max) break;
        end += n;
    }
    text.resize(end);
    return text + "...";
}

std::string audit_subject(std::string_view action) {
    return std::string(kAuditPrefix) + std::string(action);
}

std::string alert_subject(std::string_view agent_id) {
    return std::string(kAlertPrefix) + std::string(agent_id);
}

std::string stored_alert_subject(std::string_view agent_id) {
    return std::string(kStoredAlertPrefix) + std::string(agent_id);
}

std::string encode(const AuditRecord& v) {
    JsonWriter w;
    begin(w);
    write_record(w, v);
    return w.end_object().take();
}

std::string encode(const Alert& v) {
    JsonWriter w;
    begin(w);
    write_alert(w, v);
    return w.end_object().take();
}

std::string encode(const AuditListRequest& v) {
    JsonWriter w;
    begin(w);
    w.field("limit", v.limit);
    w.field("before_seq", v.before_seq);
    return w.end_object().take();
}

std::string encode(const AuditListReply& v) {
    JsonWriter w;
    begin(w);
    w.key("entries").begin_array();
    for (const auto& e : v.entries) {
        w.begin_object();
        w.field("seq", e.seq);
        w.field("stored_ms", e.stored_ms);
        if (const auto* rec = std::get_if<AuditRecord>(&e.what)) {
            w.key("record").begin_object();
            write_record(w, *rec);
        } else {
            w.key("alert").begin_object();
            write_alert(w, std::get<Alert>(e.what));
        }
        w.end_object();
        w.end_object();
    }
    w.end_array();
    w.key("skipped").begin_array();
    for (const auto& s : v.skipped) {
        w.begin_object();
        w.field("seq", s.seq);
        w.field("subject", s.subject);
        w.field("reason", s.reason);
        w.end_object();
    }
    w.end_array();
    w.field("next_before_seq", v.next_before_seq);
    return w.end_object().take();
}

Result<AuditRecord> decode_audit_record(std::string_view json) {
    return decode_with<AuditRecord>(json, read_record);
}

Result<Alert> decode_alert(std::string_view json) {
    return decode_with<Alert>(json, read_alert);
}

Result<AuditListRequest> decode_audit_list_request(std::string_view json) {
    return decode_with<AuditListRequest>(json, [](ObjectReader& r) {
        AuditListRequest v;
        v.limit = static_cast<int>(r.int64("limit", false, 1, kMaxAuditListLimit, 50));
        v.before_seq = static_cast<std::uint64_t>(r.int64("before_seq", false, 0, kMaxTime));
        return v;
    });
}

Result<AuditListReply> decode_audit_list_reply(std::string_view json) {
    return decode_with<AuditListReply>(json, [](ObjectReader& r) {
        AuditListReply v;
        for (auto& e : r.objects("entries")) v.entries.push_back(read_entry(e));
        for (auto& s : r.objects("skipped", false)) {
            AuditSkip skip;
            skip.seq = static_cast<std::uint64_t>(s.int64("seq", true, 1, kMaxTime));
            skip.subject = s.str("subject", false);
            skip.reason = s.str("reason", false);
            v.skipped.push_back(std::move(skip));
        }
        v.next_before_seq =
            static_cast<std::uint64_t>(r.int64("next_before_seq", false, 0, kMaxTime));
        return v;
    });
}

Result<AuditEntry> audit_entry_from(std::string_view subject, std::string_view data,
                                    std::uint64_t seq, std::int64_t stored_ms) {
    AuditEntry entry{seq, stored_ms, {}};
    if (subject.starts_with(kStoredAlertPrefix)) {
        auto alert = decode_alert(data);
        if (!alert.ok()) return alert.status();
        // The server stored it on the subject the agent sent it on, which
        // NATS lets only that agent publish on; the body is its word.
        std::string_view agent = subject.substr(kStoredAlertPrefix.size());
        if (alert->agent_id != agent)
            return error(Code::invalid_argument, "an alert of agent \"" + alert->agent_id +
                                                     "\" on " + std::string(subject));
        alert->reason = shorten(std::move(alert->reason), kListedTextBytes);
        entry.what = std::move(*alert);
        return entry;
    }
    if (subject.starts_with(kAuditPrefix)) {
        auto rec = decode_audit_record(data);
        if (!rec.ok()) return rec.status();
        std::string_view action = subject.substr(kAuditPrefix.size());
        if (rec->action != action)
            return error(Code::invalid_argument, "a record of \"" + shorten(rec->action, 64) +
                                                     "\" on " + std::string(subject));
        rec->outcome = shorten(std::move(rec->outcome), kListedTextBytes);
        entry.what = std::move(*rec);
        return entry;
    }
    return error(Code::invalid_argument, "not an audit or alert subject: " + std::string(subject));
}

}  // namespace oasis::wire
