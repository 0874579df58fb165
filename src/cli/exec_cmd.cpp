// `oasis exec run|get|list|cancel`.
#include "cli.h"
#include "context.h"
#include "batch_view.h"

#include "oasis/selector.h"
#include "oasis/wire.h"

#include "config_values.h"

#include <cstdio>
#include <iostream>

namespace oasis::cli {

namespace {

using namespace std::chrono_literals;

std::vector<std::string> command_after_dashes(int argc, char** argv, int first, int& end) {
    std::vector<std::string> cmd;
    end = argc;
    for (int i = first; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--") {
            end = i;
            for (int j = i + 1; j < argc; ++j) cmd.emplace_back(argv[j]);
            break;
        }
    }
    return cmd;
}

int exec_run(int argc, char** argv, int first) {
    int end = argc;
    auto command = command_after_dashes(argc, argv, first, end);
    cxxopts::Options options("oasis exec run",
                             "Runs a command on every online agent the selector picks, and "
                             "prints each node's result as it arrives.\n\n"
                             "  oasis exec run -t SELECTOR [--timeout SEC] -- CMD [ARGS...]\n");
    options.add_options()
        ("t,target", "selector (see docs/selectors.md)", cxxopts::value<std::string>())
        ("timeout", "seconds the command may run on each node (1 to 604800)",
         cxxopts::value<std::string>()->default_value("60"));
    Context::add_common_options(options);
    int exit = kOk;
    auto ctx = Context::parse(options, end, argv, first, exit);
    if (!ctx) return exit;

    if (!ctx->args().count("target"))
        return Context::usage_error("missing -t/--target SELECTOR (use `all` for every node)");
    if (command.empty())
        return Context::usage_error("missing command: put it after `--`, e.g. "
                                    "oasis exec run -t all -- uptime");
    std::size_t bytes = 0;
    for (const auto& arg : command) bytes += arg.size();
    if (bytes > wire::kMaxArgvBytes)
        return Context::usage_error("the command and its arguments are " + std::to_string(bytes) +
                                    " bytes; at most " + std::to_string(wire::kMaxArgvBytes) +
                                    " go in a task: ship a script with `oasis file apply` and "
                                    "run that");
    auto timeout = parse_timeout(ctx->args()["timeout"].as<std::string>());
    if (!timeout.ok()) return Context::usage_error(timeout.status().message());

    auto sel = Selector::parse(ctx->args()["target"].as<std::string>());
    if (!sel.ok()) return Context::fail(sel.status());

    wire::ExecRunRequest req{wire::new_batch_id(), sel->text(), command, *timeout};
    auto payload = ctx->call("exec", "run", wire::encode(req), exit);
    if (!payload) {
        if (ctx->last_call_timed_out()) {
            std::fprintf(stderr,
                         "oasis: the batch may have started anyway: see `oasis exec get %s`\n",
                         req.batch_id.c_str());
        }
        return exit;
    }
    auto reply = wire::decode_exec_run_reply(*payload);
    if (!reply.ok()) return Context::fail(reply.status());

    const wire::Batch& batch = reply->batch;
    if (!ctx->json()) {
        std::printf("batch %s: %zu node%s", batch.batch_id.c_str(), batch.targets.size(),
                    batch.targets.size() == 1 ? "" : "s");
        if (!reply->offline.empty()) {
            std::printf(" (%zu offline, queued until %s)", reply->offline.size(),
                        format_time(batch.start_by_ms).c_str());
        }
        std::printf("\n");
        std::fflush(stdout);
    }
    wire::BatchReport report;
    report.batch = batch;
    report.total = batch.targets.size();
    if (auto stop = follow_batch(*ctx, report, report.total)) return *stop;
    if (ctx->json()) {
        std::cout << wire::encode(report) << "\n";
    } else {
        std::printf("%s\n", summary_of(report.counts, report.pending.size()).c_str());
    }
    return all_succeeded(report.counts) ? kOk : kNodesFailed;
}

// Parses `oasis exec <verb> BATCH_ID`: the common flags and a checked id.
std::unique_ptr<Context> parse_batch_command(cxxopts::Options& options, int argc, char** argv,
                                             int first, wire::BatchIdRequest& req, int& exit) {
    options.add_options()("batch", "batch id", cxxopts::value<std::string>());
    options.parse_positional({"batch"});
    options.positional_help("BATCH_ID");
    Context::add_common_options(options);
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return nullptr;
    if (!ctx->args().count("batch")) {
        exit = Context::usage_error("missing BATCH_ID");
        return nullptr;
    }
    req.batch_id = ctx->args()["batch"].as<std::string>();
    if (!wire::is_valid_batch_id(req.batch_id)) {
        exit = Context::usage_error(core::quote(req.batch_id) +
                                    " is not a batch id (they look like b-1a2b3c4d5e6f)");
        return nullptr;
    }
    return ctx;
}

int exec_get(int argc, char** argv, int first) {
    cxxopts::Options options("oasis exec get",
                             "Shows every node's state, exit code, output and duration.\n\n"
                             "  oasis exec get BATCH_ID [--wait]\n");
    options.add_options()("wait", "follow the batch until every node has its final state");
    wire::BatchIdRequest req;
    int exit = kOk;
    auto ctx = parse_batch_command(options, argc, argv, first, req, exit);
    if (!ctx) return exit;
    auto payload = ctx->call("exec", "get", wire::encode(req), exit);
    if (!payload) return exit;
    auto known = wire::decode_batch_report(*payload);
    if (!known.ok()) return Context::fail(known.status());

    std::size_t finished = known->total - known->pending.size();
    const wire::Batch& b = known->batch;
    if (!ctx->json()) {
        std::printf("batch %s  created %s  timeout %d s\n  selector: %s\n  %s: %s\n",
                    b.batch_id.c_str(), format_time(b.created_at_ms).c_str(), b.timeout_sec,
                    ctx->shown(b.selector).c_str(), b.file ? "writes" : "command",
                    ctx->shown(describe_batch(b)).c_str());
        std::printf("  %s\n", summary_of(known->counts, known->pending.size()).c_str());
    }
    wire::BatchReport report;
    report.batch = b;
    report.total = known->total;
    bool wait = ctx->flag("wait");
    if (auto stop = follow_batch(*ctx, report, wait ? report.total : finished)) return *stop;
    if (ctx->json()) {
        std::cout << wire::encode(report) << "\n";
    } else if (!report.pending.empty()) {
        std::string names;
        for (const auto& p : report.pending) names += (names.empty() ? "" : ", ") + p;
        std::printf("pending: %s\n", names.c_str());
    }
    return all_succeeded(report.counts) && report.pending.empty() ? kOk : kNodesFailed;
}

int exec_list(int argc, char** argv, int first) {
    cxxopts::Options options("oasis exec list", "Lists recent batches, newest first.");
    options.add_options()("limit", "how many (1 to 1000)",
                          cxxopts::value<std::string>()->default_value("20"));
    Context::add_common_options(options);
    int exit = kOk;
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return exit;
    auto limit = parse_limit(ctx->args()["limit"].as<std::string>(), 1000);
    if (!limit.ok()) return Context::fail(limit.status());
    auto payload = ctx->call("exec", "list", wire::encode(wire::ExecListRequest{*limit}), exit);
    if (!payload) return exit;
    auto reply = wire::decode_exec_list_reply(*payload);
    if (!reply.ok()) return Context::fail(reply.status());
    if (ctx->json()) {
        std::cout << *payload << "\n";
        return kOk;
    }
    std::printf("%-16s %-19s %6s  %-40s %s\n", "BATCH", "CREATED", "NODES", "STATES", "COMMAND");
    for (const auto& r : reply->batches) {
        std::size_t finished = 0;
        for (auto c : r.counts) finished += c;
        std::string cmd = describe_batch(r.batch);
        std::printf("%-16s %-19s %6zu  %-40s %s\n", r.batch.batch_id.c_str(),
                    format_time(r.batch.created_at_ms).c_str(), r.total,
                    summary_of(r.counts, r.total - finished).c_str(), ctx->shown(cmd).c_str());
    }
    return kOk;
}

int exec_cancel(int argc, char** argv, int first) {
    cxxopts::Options options("oasis exec cancel",
                             "Stops what is still running or queued in a batch.\n\n"
                             "  oasis exec cancel BATCH_ID\n");
    wire::BatchIdRequest req;
    int exit = kOk;
    auto ctx = parse_batch_command(options, argc, argv, first, req, exit);
    if (!ctx) return exit;
    auto payload = ctx->call("exec", "cancel", wire::encode(req), exit);
    if (!payload) return exit;
    auto reply = wire::decode_exec_cancel_reply(*payload);
    if (!reply.ok()) return Context::fail(reply.status());
    if (ctx->json())
        std::cout << *payload << "\n";
    else if (reply->cancelled == 0)
        std::printf("batch %s: nothing left to cancel\n", reply->batch_id.c_str());
    else
        std::printf("batch %s: cancelled %zu node%s\n", reply->batch_id.c_str(),
                    reply->cancelled, reply->cancelled == 1 ? "" : "s");
    return kOk;
}

constexpr Verb kVerbs[] = {
    {"run", "run a command on the nodes a selector picks", exec_run},
    {"get", "show a batch: per-node state, exit code, output", exec_get},
    {"list", "list recent batches", exec_list},
    {"cancel", "stop what is still running or queued in a batch", exec_cancel},
};

}  // namespace

int exec_command(int argc, char** argv, int first) {
    return dispatch("exec", kVerbs, argc, argv, first);
}

}  // namespace oasis::cli
