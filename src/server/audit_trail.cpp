#include "audit_trail.h"

#include "oasis/log.h"

#include <algorithm>
#include <type_traits>

namespace oasis::server {

namespace {

using namespace std::chrono_literals;
using wire::kAuditListItems;
using wire::kAuditTextBytes;

// The bytes one entry or note adds to an encoded page (a little over).
template <typename T>
std::size_t encoded_size(T item) {
    wire::AuditListReply one;
    if constexpr (std::is_same_v<T, wire::AuditEntry>)
        one.entries.push_back(std::move(item));
    else
        one.skipped.push_back(std::move(item));
    return wire::encode(one).size();
}

}  // namespace

bool shorten_argv(std::vector<std::string>& argv, std::size_t budget) {
    bool cut = false;
    std::size_t left = budget;
    for (auto& arg : argv) {
        if (arg.size() > left) {
            arg = wire::shorten(std::move(arg), left);
            cut = true;
        }
        left -= std::min(left, arg.size());
    }
    return cut;
}

wire::AuditRequest summarize(const wire::ExecRunRequest& req) {
    wire::AuditRequest s;
    s.batch_id = req.batch_id;
    s.selector = wire::shorten(req.selector, kAuditTextBytes);
    s.argv = req.argv;
    s.shortened = shorten_argv(s.argv, kAuditTextBytes) || s.selector.size() != req.selector.size();
    s.timeout_sec = req.timeout_sec;
    return s;
}

// The paths are kept whole (at most 4 KiB each, checked by the decoders):
// a record must say exactly which file changed.
template <typename Request>
wire::AuditRequest summarize_file_batch(const Request& req) {
    wire::AuditRequest s;
    s.batch_id = req.batch_id;
    s.selector = wire::shorten(req.selector, kAuditTextBytes);
    s.shortened = s.selector.size() != req.selector.size();
    s.timeout_sec = req.timeout_sec;
    return s;
}

wire::AuditRequest summarize(const wire::FileApplyRequest& req) {
    wire::AuditRequest s = summarize_file_batch(req);
    s.source_path = req.file.source_path;
    s.dest = req.file.dest;
    s.sha256 = req.file.sha256;
    return s;
}

wire::AuditRequest summarize(const wire::FileRollbackRequest& req) {
    wire::AuditRequest s = summarize_file_batch(req);
    s.source_path = req.source_path;
    s.dest = req.dest;
    s.revision = req.revision;
    return s;
}

wire::AuditRequest summarize(const wire::BatchIdRequest& req) {
    wire::AuditRequest s;
    s.batch_id = req.batch_id;
    return s;
}

wire::AuditRequest summarize(const wire::AgentSetRequest& req) {
    wire::AuditRequest s;
    s.agent_id = req.agent_id;
    auto kept = [&s](const std::string& text) {
        std::string out = wire::shorten(text, kAuditTextBytes);
        s.shortened |= out.size() != text.size();
        return out;
    };
    if (req.change.labels) {
        s.labels.emplace();
        for (const auto& [k, v] : *req.change.labels) {
            if (s.labels->size() == kAuditListItems) {
                s.shortened = true;
                break;
            }
            s.labels->emplace(kept(k), kept(v));
        }
    }
    if (req.change.groups) {
        s.groups.emplace();
        for (const auto& g : *req.change.groups) {
            if (s.groups->size() == kAuditListItems) {
                s.shortened = true;
                break;
            }
            s.groups->push_back(kept(g));
        }
    }
    return s;
}

Status write_audit_record(Bus& bus, const wire::AuditRecord& record) {
    auto seq = bus.js_publish(wire::audit_subject(record.action), wire::encode(record), {}, 5s);
    if (seq.ok()) return {};
    log::error("audit", "record.failed",
               {{"caller", record.caller},
                {"action", record.action},
                {"outcome", wire::shorten(record.outcome, kAuditTextBytes)},
                {"batch_id", record.batch_id},
                {"error", seq.status().message()}});
    return seq.status();
}

Result<wire::AuditListReply> read_audit_page(const StreamState& state,
                                             const wire::AuditListRequest& req,
                                             std::size_t budget_bytes, const StoredReader& read) {
    wire::AuditListReply page;
    std::uint64_t top = state.last_seq;
    if (req.before_seq > 0) top = std::min(top, req.before_seq - 1);
    const std::uint64_t bottom = std::max<std::uint64_t>(state.first_seq, 1);
    const auto limit = static_cast<std::size_t>(std::max(req.limit, 1));

    std::size_t size = 0, reads = 0;
    for (std::uint64_t seq = top; seq >= bottom; --seq) {
        if (page.entries.size() == limit || reads == kMaxReadsPerPage) {
            page.next_before_seq = seq + 1;
            break;
        }
        ++reads;
        auto stored = read(seq);
        if (!stored.ok()) {
            if (stored.status().code() == Code::not_found) continue;  // a gap
            return stored.status().with_context("read the audit stream at " + std::to_string(seq));
        }

        auto entry = wire::audit_entry_from(stored->subject, stored->data, seq, stored->time_ms);
        std::size_t one =
            entry.ok()
                ? encoded_size(*entry)
                : encoded_size(wire::AuditSkip{seq, stored->subject, entry.status().message()});
        bool empty = page.entries.empty() && page.skipped.empty();
        if (!empty && size + one > budget_bytes) {
            page.next_before_seq = seq + 1;
            break;
        }
        size += one;
        if (entry.ok())
            page.entries.push_back(std::move(*entry));
        else
            page.skipped.push_back({seq, stored->subject, entry.status().message()});
    }
    return page;
}

}  // namespace oasis::server
