// `oasis file apply|history|rollback|clear` (issue 4).
//
// apply reads --src twice: once for its SHA-256, then to store it in the
// object store under that hash (skipped when the store holds it already),
// so a file of any size moves without being held in memory. The server
// then records the revision and sends each node a task naming the content.
#include "batch_view.h"
#include "cli.h"
#include "context.h"
#include "interrupt.h"
#include "table.h"

#include "config_values.h"

#include "oasis/file_spec.h"
#include "oasis/file_wire.h"
#include "oasis/object_store.h"
#include "oasis/selector.h"
#include "oasis/sha256.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace oasis::cli {

namespace {

using Clock = std::chrono::steady_clock;

// A source path as history keys it: absolute, "." and ".." and doubled
// slashes taken out, symlinks not resolved (the path the operator names).
// `flag` names it in errors.
Result<std::string> source_path_of(const std::string& given, const std::string& flag) {
    if (given.empty())
        return error(Code::invalid_argument, flag + " is empty; give the path of the source file");
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(given, ec);
    if (ec)
        return error(Code::invalid_argument,
                     flag + ": cannot make \"" + given + "\" absolute (" + ec.message() +
                         "); give an absolute path, or run from a directory that exists");
    std::string path = abs.lexically_normal().string();
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    OASIS_RETURN_IF_ERROR(check_destination(path, flag));
    return path;
}

std::string human_bytes(std::uint64_t n) {
    char buf[32];
    if (n < 1024) return std::to_string(n) + " B";
    double v = static_cast<double>(n);
    const char* unit = "KiB";
    for (const char* u : {"KiB", "MiB", "GiB", "TiB"}) {
        v /= 1024;
        unit = u;
        if (v < 1024) break;
    }
    std::snprintf(buf, sizeof buf, "%.1f %s", v, unit);
    return buf;
}

// Reads a file to its end, showing "<label> 12.0 MiB of 1.0 GiB" on a
// terminal (at most ten times a second); quiet otherwise.
class ProgressReader {
public:
    // Stops with an error once `ctrl_c` says the user interrupted.
    ProgressReader(int fd, std::string label, std::uint64_t total, bool show,
                   const DetachOnInterrupt& ctrl_c)
        : read_(fd_reader(fd)),
          label_(std::move(label)),
          total_(total),
          show_(show),
          ctrl_c_(ctrl_c) {}
    ~ProgressReader() {
        if (shown_) std::fprintf(stderr, "\r\033[K");
    }

    Result<std::size_t> operator()(std::span<char> buf) {
        if (ctrl_c_.interrupted()) return error(Code::unavailable, "interrupted");
        auto n = read_(buf);
        if (n.ok()) done_ += *n;
        if (show_ && Clock::now() >= next_) {
            std::fprintf(stderr, "\r\033[K%s %s of %s", label_.c_str(), human_bytes(done_).c_str(),
                         human_bytes(total_).c_str());
            std::fflush(stderr);
            shown_ = true;
            next_ = Clock::now() + std::chrono::milliseconds(100);
        }
        return n;
    }

private:
    ObjectReader read_;
    std::string label_;
    std::uint64_t total_;
    bool show_;
    const DetachOnInterrupt& ctrl_c_;
    bool shown_ = false;
    std::uint64_t done_ = 0;
    Clock::time_point next_ = Clock::now() + std::chrono::milliseconds(300);
};

// An open --src: a regular file, read from its start. `size` is what
// fstat said until store_content counts the bytes actually read.
struct Source {
    int fd = -1;
    std::uint64_t size = 0;
    ~Source() {
        if (fd >= 0) ::close(fd);
    }
};

Status open_source(const std::string& path, Source& src) {
    // O_NONBLOCK: opening a fifo with no writer would otherwise wait for
    // one forever, before the check below could refuse it.
    src.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (src.fd < 0)
        return error(Code::invalid_argument, "--src " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(src.fd, &st) != 0 || !S_ISREG(st.st_mode))
        return error(Code::invalid_argument, "--src " + path + " is not a regular file");
    int flags = ::fcntl(src.fd, F_GETFL);
    if (flags < 0 || ::fcntl(src.fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        return error(Code::io_error, "--src " + path + ": " + std::strerror(errno));
    src.size = static_cast<std::uint64_t>(st.st_size);
    return {};
}

Status rewind(int fd, const std::string& path) {
    if (::lseek(fd, 0, SEEK_SET) != 0)
        return error(Code::io_error, "--src " + path + ": " + std::strerror(errno));
    return {};
}

// Stores the content of `src` in the file store unless it is there already;
// returns its SHA-256 in hex. `src.size` becomes the size of what was
// hashed: fstat's may be stale (the file grew meanwhile) or wrong (files
// in /proc say 0), and the server checks the stored object against it.
Result<std::string> store_content(Context& ctx, const std::string& path, Source& src,
                                  const DetachOnInterrupt& ctrl_c) {
    bool show = ctx.stderr_tty() && !ctx.json();
    Sha256 sha;
    std::uint64_t hashed = 0;
    {
        ProgressReader read(src.fd, "hashing " + path, src.size, show, ctrl_c);
        std::string buf(256 * 1024, '\0');
        for (;;) {
            auto n = read(std::span<char>(buf.data(), buf.size()));
            if (!n.ok()) return n.status().with_context("--src " + path);
            if (*n == 0) break;
            sha.update(std::string_view(buf.data(), *n));
            hashed += *n;
        }
    }
    src.size = hashed;
    auto hex = sha.finish_hex();
    if (!hex.ok()) return hex.status();

    Bus* bus = ctx.bus();
    if (!bus) return error(Code::unavailable, "");  // reported by bus()
    ObjectStore store(*bus);
    const std::string name = wire::file_object_name(*hex);
    if (auto known = store.info(wire::kFileBucket, name); known.ok()) {
        auto stored = object_digest_to_hex(known->digest);
        if (stored.ok() && *stored == *hex && known->size == src.size) return hex;
    }
    OASIS_RETURN_IF_ERROR(rewind(src.fd, path));
    ProgressReader read(src.fd, "storing " + path, src.size, show, ctrl_c);
    auto info = store.put(wire::kFileBucket, name, std::ref(read));
    if (!info.ok()) return info.status().with_context("store " + path);
    auto stored = object_digest_to_hex(info->digest);
    if (!stored.ok() || *stored != *hex || info->size != src.size) {
        (void)store.remove(wire::kFileBucket, name);
        return error(Code::invalid_argument, "--src " + path +
                                         " changed while it was read; nothing was applied, try "
                                         "again once it is written");
    }
    return hex;
}

// The flags a command requires: each missing one is a usage error naming
// it (Context::parse refuses any given twice).
std::optional<int> require(const Context& ctx, std::initializer_list<const char*> required) {
    for (const char* name : required) {
        if (!ctx.args().count(name))
            return Context::usage_error(std::string("missing --") + name);
    }
    return std::nullopt;
}

void print_apply_head(const Context& ctx, const wire::FileApplyReply& reply,
                      const std::string& source_path) {
    if (ctx.json()) return;
    const wire::FileRevision& rev = reply.revision;
    std::printf("revision %llu of %s", static_cast<unsigned long long>(rev.number),
                ctx.shown(source_path).c_str());
    if (!reply.new_revision)
        std::printf(" (already the newest: same content, destination, owner and mode)");
    else if (rev.rollback_of)
        std::printf(" (restores revision %llu)", static_cast<unsigned long long>(rev.rollback_of));
    std::printf("\nbatch %s: %zu node%s", reply.batch.batch_id.c_str(),
                reply.batch.targets.size(), reply.batch.targets.size() == 1 ? "" : "s");
    if (!reply.offline.empty())
        std::printf(" (%zu offline, queued until %s)", reply.offline.size(),
                    format_time(reply.batch.start_by_ms).c_str());
    std::printf("\n");
    std::fflush(stdout);
}

// Sends file.apply or file.rollback and follows the batch it starts.
int run_file_batch(Context& ctx, std::string_view verb, const std::string& payload,
                   const std::string& batch_id, const std::string& source_path) {
    int exit = kOk;
    auto answer = ctx.call("file", verb, payload, exit);
    if (!answer) {
        if (ctx.last_call_timed_out())
            std::fprintf(stderr,
                         "oasis: the batch may have started anyway: see `oasis exec get %s`\n",
                         batch_id.c_str());
        return exit;
    }
    auto reply = wire::decode_file_apply_reply(*answer);
    if (!reply.ok()) return Context::fail(reply.status());
    print_apply_head(ctx, *reply, source_path);

    wire::BatchReport report;
    report.batch = reply->batch;
    report.total = reply->batch.targets.size();
    if (auto stop = follow_batch(ctx, report, report.total)) return *stop;
    if (ctx.json()) {
        // The report as `exec run` prints it, with the server's reply (the
        // revision) added as "apply".
        std::string out = wire::encode(report);
        out.pop_back();
        std::cout << out << ",\"apply\":" << *answer << "}\n";
    }
    else
        std::printf("%s\n", summary_of(report.counts, report.pending.size()).c_str());
    return all_succeeded(report.counts) ? kOk : kNodesFailed;
}

void add_batch_options(cxxopts::Options& options) {
    options.add_options()
        ("dest", "absolute path on each node", cxxopts::value<std::string>())
        ("t,target", "selector (see docs/selectors.md)", cxxopts::value<std::string>())
        ("timeout", "seconds each node may take (1 to 604800)",
         cxxopts::value<std::string>()->default_value("600"));
}

// Adds --dest, -t, --timeout and the common flags to `options`, parses,
// and checks that the required flags are there. Null (with `exit` set)
// when the command should end at once.
std::unique_ptr<Context> parse_batch_command(cxxopts::Options& options, int argc, char** argv,
                                             int first,
                                             std::initializer_list<const char*> required,
                                             int& exit) {
    add_batch_options(options);
    Context::add_common_options(options);
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return nullptr;
    if (auto bad = require(*ctx, required)) {
        exit = *bad;
        return nullptr;
    }
    return ctx;
}

// --dest, -t and --timeout, checked; a usage error sets `exit`.
bool read_batch_options(const Context& ctx, std::string& dest, std::string& selector,
                        int& timeout, int& exit) {
    dest = ctx.args()["dest"].as<std::string>();
    if (Status st = check_destination(dest); !st.ok()) {
        exit = Context::usage_error(st.message());
        return false;
    }
    auto sel = Selector::parse(ctx.args()["target"].as<std::string>());
    if (!sel.ok()) {
        exit = Context::fail(sel.status());
        return false;
    }
    selector = sel->text();
    auto t = parse_timeout(ctx.args()["timeout"].as<std::string>());
    if (!t.ok()) {
        exit = Context::usage_error(t.status().message());
        return false;
    }
    timeout = *t;
    return true;
}

int file_apply(int argc, char** argv, int first) {
    cxxopts::Options options(
        "oasis file apply",
        "Stores a file as a new revision of its source path and writes it on every node the "
        "selector picks: to a temporary file beside the destination, checked, then renamed "
        "over it, so no node ever holds half a file.\n\n"
        "  oasis file apply --src PATH --dest PATH -t SELECTOR [--owner USER:GROUP] "
        "[--mode MODE]\n");
    options.add_options()
        ("src", "the file to ship, on this machine", cxxopts::value<std::string>())
        ("owner", "user:group on the nodes, names or numeric ids (default: an existing "
                  "file's, else the agent's user)", cxxopts::value<std::string>())
        ("mode", "octal: 644, 0644, 0o644, 2755 (default: an existing file's, else 0644)",
         cxxopts::value<std::string>());
    int exit = kOk;
    auto ctx = parse_batch_command(options, argc, argv, first, {"src", "dest", "target"}, exit);
    if (!ctx) return exit;

    wire::FileApplyRequest req;
    req.batch_id = wire::new_batch_id();
    if (!read_batch_options(*ctx, req.file.dest, req.selector, req.timeout_sec, exit)) return exit;
    if (ctx->args().count("mode")) {
        auto mode = parse_mode(ctx->args()["mode"].as<std::string>());
        if (!mode.ok()) return Context::usage_error(mode.status().message());
        req.file.mode = *mode;
    }
    if (ctx->args().count("owner")) {
        auto owner = parse_owner(ctx->args()["owner"].as<std::string>());
        if (!owner.ok()) return Context::usage_error(owner.status().message());
        req.file.owner = format_owner(*owner);
    }
    const std::string src = ctx->args()["src"].as<std::string>();
    Source source;
    if (Status st = open_source(src, source); !st.ok()) return Context::usage_error(st.message());
    auto source_path = source_path_of(src, "--src");
    if (!source_path.ok()) return Context::usage_error(source_path.status().message());
    req.file.source_path = *source_path;

    // The server checks the request (the selector above all) before the
    // upload; the content's hash is not known yet, so a stand-in is sent.
    wire::FileApplyRequest check = req;
    check.file.sha256 = std::string(64, '0');
    auto checked = ctx->call("file", "check", wire::encode(check), exit);
    if (!checked) return exit;
    if (auto reply = wire::decode_file_check_reply(*checked); !reply.ok())
        return Context::fail(reply.status());

    // Ctrl-C during the hash or the upload stops it; the store removes the
    // chunks sent so far, so nothing is left half stored.
    std::optional<DetachOnInterrupt> ctrl_c(std::in_place);
    auto hex = store_content(*ctx, src, source, *ctrl_c);
    if (ctrl_c->interrupted()) {
        std::fprintf(stderr, "\noasis: interrupted: nothing was applied%s\n",
                     hex.ok() ? "" : ", and no content stored");
        return kInterrupted;
    }
    ctrl_c.reset();
    if (!hex.ok())
        return hex.status().message().empty() ? kUnavailable : Context::fail(hex.status());
    req.file.sha256 = *hex;
    req.file.size = source.size;
    return run_file_batch(*ctx, "apply", wire::encode(req), req.batch_id, req.file.source_path);
}

int file_rollback(int argc, char** argv, int first) {
    cxxopts::Options options(
        "oasis file rollback",
        "Writes revision N of a source path again, with that revision's content, owner and "
        "mode, on every node the selector picks. It is recorded as a new revision.\n\n"
        "  oasis file rollback --source-path PATH --revision N --dest PATH -t SELECTOR\n");
    options.add_options()
        ("source-path", "the source path, as `file history` shows it (made absolute)",
         cxxopts::value<std::string>())
        ("revision", "the revision to write again (see `oasis file history`)",
         cxxopts::value<std::string>());
    int exit = kOk;
    auto ctx = parse_batch_command(options, argc, argv, first,
                                   {"source-path", "revision", "dest", "target"}, exit);
    if (!ctx) return exit;

    wire::FileRollbackRequest req;
    req.batch_id = wire::new_batch_id();
    if (!read_batch_options(*ctx, req.dest, req.selector, req.timeout_sec, exit)) return exit;
    auto source_path =
        source_path_of(ctx->args()["source-path"].as<std::string>(), "--source-path");
    if (!source_path.ok()) return Context::usage_error(source_path.status().message());
    req.source_path = *source_path;
    std::string text = ctx->args()["revision"].as<std::string>();
    auto n = parse_count(text, 1, 1 << 30);
    if (!n)
        return Context::usage_error("--revision must be a revision number (1, 2, ...), got " +
                                    core::quote(text));
    req.revision = static_cast<std::uint64_t>(*n);
    return run_file_batch(*ctx, "rollback", wire::encode(req), req.batch_id, req.source_path);
}

std::string mode_text(const std::optional<unsigned>& mode) {
    return mode ? format_mode(*mode) : "kept";
}

// "a,b and 3 more": the names a reply lists, then how many it left out.
std::string names_text(const Context& ctx, const std::vector<std::string>& names,
                       std::size_t count) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ",") + ctx.shown(name);
    if (count > names.size()) out += " and " + std::to_string(count - names.size()) + " more";
    return out;
}

std::string applied_text(const Context& ctx, const wire::RevisionView& v) {
    std::string out = names_text(ctx, v.applied, v.applied_count);
    if (out.empty()) out = "-";
    if (v.failed_count) out += "  (failed: " + names_text(ctx, v.failed, v.failed_count) + ")";
    if (v.pending) out += "  (" + std::to_string(v.pending) + " pending)";
    return out;
}

int file_history(int argc, char** argv, int first) {
    cxxopts::Options options("oasis file history",
                             "Lists the revisions of a source path, newest first: content hash, "
                             "size, destination, owner, mode, who and when, and the nodes it was "
                             "applied on (a later revision may have replaced it there since)."
                             "\n\n  oasis file history --source-path PATH\n");
    options.add_options()("source-path", "the --src given to `file apply` (made absolute)",
                          cxxopts::value<std::string>());
    Context::add_common_options(options);
    int exit = kOk;
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return exit;
    if (auto bad = require(*ctx, {"source-path"})) return *bad;
    auto source_path =
        source_path_of(ctx->args()["source-path"].as<std::string>(), "--source-path");
    if (!source_path.ok()) return Context::usage_error(source_path.status().message());
    wire::FileHistoryRequest req{*source_path};
    auto payload = ctx->call("file", "history", wire::encode(req), exit);
    if (!payload) return exit;
    auto reply = wire::decode_file_history_reply(*payload);
    if (!reply.ok()) return Context::fail(reply.status());
    if (ctx->json()) {
        std::cout << *payload << "\n";
        return kOk;
    }
    std::printf("revisions of %s, newest first\n", ctx->shown(reply->source_path).c_str());
    Table table({"REV", "CREATED", "BY", "SIZE", "MODE", "OWNER", "SHA256", "DEST", "APPLIED ON"},
                {3});
    for (const auto& v : reply->revisions) {
        const wire::FileRevision& r = v.revision;
        std::string rev = std::to_string(r.number);
        if (r.rollback_of) rev += "<" + std::to_string(r.rollback_of);
        table.add({rev, format_time(r.time_ms), ctx->shown(r.caller), std::to_string(r.size),
                   mode_text(r.mode), r.owner.empty() ? "kept" : ctx->shown(r.owner),
                   r.sha256.substr(0, 12), ctx->shown(r.dest), applied_text(*ctx, v)});
    }
    table.print(stdout);
    if (reply->older_omitted)
        std::printf("(%zu older revisions not shown: the reply holds as many as fit one NATS "
                    "message)\n",
                    reply->older_omitted);
    return kOk;
}

// Asks on the terminal; false unless the answer is "yes".
bool confirmed(const std::string& question) {
    std::fprintf(stderr, "%s Type yes to go on: ", question.c_str());
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "yes";
}

int file_clear(int argc, char** argv, int first) {
    cxxopts::Options options("oasis file clear",
                             "Deletes every stored file and the history of every source path. "
                             "Files already written on nodes stay. Asks first, unless --yes.\n\n"
                             "  oasis file clear [--yes]\n");
    options.add_options()("yes", "do not ask");
    Context::add_common_options(options);
    int exit = kOk;
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return exit;
    if (!ctx->flag("yes")) {
        if (!isatty(STDIN_FILENO))
            return Context::usage_error(
                "file clear deletes every stored file and history; give --yes to do it "
                "without a terminal to ask on");
        if (!confirmed("This deletes every stored file and every revision history; it cannot "
                       "be undone.")) {
            std::fprintf(stderr, "oasis: nothing was deleted\n");
            return kUsage;
        }
    }
    auto payload = ctx->call("file", "clear", wire::encode(wire::FileClearRequest{true}), exit);
    if (!payload) return exit;
    auto reply = wire::decode_file_clear_reply(*payload);
    if (!reply.ok()) return Context::fail(reply.status());
    if (ctx->json())
        std::cout << *payload << "\n";
    else
        std::printf("deleted %zu stored file%s and %zu histor%s\n", reply->objects,
                    reply->objects == 1 ? "" : "s", reply->histories,
                    reply->histories == 1 ? "y" : "ies");
    return kOk;
}

constexpr Verb kVerbs[] = {
    {"apply", "store a file as a new revision and write it on the nodes a selector picks",
     file_apply},
    {"history", "list the revisions of a source path", file_history},
    {"rollback", "write an earlier revision again on the nodes a selector picks", file_rollback},
    {"clear", "delete every stored file and history (asks first)", file_clear},
};

}  // namespace

int file_command(int argc, char** argv, int first) {
    return dispatch("file", kVerbs, argc, argv, first);
}

}  // namespace oasis::cli
