// The server's side of the audit trail: what a record keeps of a request,
// writing records, and reading the audit stream back for `audit list`.
//
// Everything here is safe to call from any thread; only store_record and
// the reader passed to read_audit_page touch NATS.
#pragma once

#include "oasis/audit.h"
#include "oasis/bus.h"
#include "oasis/file_wire.h"
#include "oasis/wire.h"

#include <functional>

namespace oasis::server {

// argv cut as `exec list` shows it: at most `budget` bytes in all, each
// cut argument ending in "...". Returns whether anything was cut.
bool shorten_argv(std::vector<std::string>& argv, std::size_t budget);

// What a record keeps of each mutating request (see wire::AuditRequest).
wire::AuditRequest summarize(const wire::ExecRunRequest& req);
wire::AuditRequest summarize(const wire::BatchIdRequest& req);
wire::AuditRequest summarize(const wire::AgentSetRequest& req);
wire::AuditRequest summarize(const wire::FileApplyRequest& req);
wire::AuditRequest summarize(const wire::FileRollbackRequest& req);

// Stores `record` on oasis.audit.<action> and waits for the stream's ack.
// A failure is logged here, at error level with the record's ids, and
// returned; the caller need not log it again.
Status write_audit_record(Bus& bus, const wire::AuditRecord& record);

// Reads the stored message with sequence `seq`; Code::not_found for a gap.
using StoredReader = std::function<Result<Message>(std::uint64_t seq)>;

// Reads at most req.limit entries below req.before_seq (0: from the
// newest), newest first, from a stream in `state`. Gaps are passed over;
// a message that does not decode becomes a note in `skipped`. The page
// stops early, with next_before_seq set, when its encoding would pass
// `budget_bytes` (it always holds at least one entry or note) or after
// kMaxReadsPerPage reads. An error from `read` other than not_found ends
// the page with that error.
inline constexpr std::size_t kMaxReadsPerPage = 2000;
Result<wire::AuditListReply> read_audit_page(const StreamState& state,
                                             const wire::AuditListRequest& req,
                                             std::size_t budget_bytes, const StoredReader& read);

}  // namespace oasis::server
