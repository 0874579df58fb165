#include "oasis/nats_permissions.h"

#include "oasis/object_store.h"
#include "oasis/wire.h"

namespace oasis {

namespace {

// One quoted, comma-separated line per subject, for a NATS allow list.
std::string subject_list(const std::vector<std::string>& subjects, const char* indent) {
    std::string out;
    for (std::size_t i = 0; i < subjects.size(); ++i) {
        out += indent;
        out += '"' + subjects[i] + '"';
        out += i + 1 < subjects.size() ? ",\n" : "\n";
    }
    return out;
}

std::string user_entry(const std::string& user, const std::vector<std::string>& publish,
                       const std::vector<std::string>& subscribe, const std::string& comment,
                       bool allow_responses = true) {
    std::string out = "    # " + comment + "\n";
    out += "    { user: \"" + user + "\", permissions: {\n";
    out += "        publish: { allow: [\n" + subject_list(publish, "          ") + "        ] }\n";
    out +=
        "        subscribe: { allow: [\n" + subject_list(subscribe, "          ") + "        ] }\n";
    // Answers to requests this identity received (control replies,
    // JetStream flow control), one per request. Never for agents: NATS
    // echoes a client's own messages to it, so an agent that may publish
    // and subscribe on one subject could send itself a "request" with any
    // reply subject and answer it, i.e. publish anywhere.
    if (allow_responses) out += "        allow_responses: true\n";
    out += "    } }\n";
    return out;
}

std::string server_entry() {
    return user_entry(kServerNatsUser,
                      {"oasis.>", "$JS.API.>", "$KV.>", "$O.>", "$JS.ACK.>", "$JS.FC.>"},
                      {"oasis.>", std::string(wire::kServerInboxPrefix) + ".>"},
                      "The Oasis server(s): the fleet's subjects, streams and stores.");
}

std::string operator_entry() {
    const std::string results = wire::kResultStream;
    const std::string files = wire::kFileBucket;
    const std::string file_stream = object_stream(files);
    return user_entry(kOperatorNatsUser,
                      {std::string("oasis.ctl.*.*.") + kOperatorCaller,
                       "$JS.API.CONSUMER.CREATE." + results,
                       "$JS.API.CONSUMER.CREATE." + results + ".>",
                       "$JS.API.CONSUMER.DELETE." + results + ".>",
                       // Storing file content before `file apply` names it.
                       "$O." + files + ".C.>", "$O." + files + ".M.>",
                       "$JS.API.DIRECT.GET." + file_stream + ".>",
                       "$JS.API.STREAM.PURGE." + file_stream},
                      {wire::cli_inbox_prefix(kOperatorCaller) + ".>"},
                      "The operator's CLI: control requests under its own name, "
                      "following results, storing file content.");
}

std::string agent_entry(const std::string& id) {
    const std::string tasks = wire::task_subject(id);
    const std::string results_of_mine = "oasis.result.*." + id;
    const std::string files = wire::kFileBucket;
    const std::string file_stream = object_stream(files);
    const std::string fetch = wire::file_fetch_consumer(id);
    return user_entry(
        agent_nats_user(id),
        {wire::heartbeat_subject(id), results_of_mine, "oasis.alert." + id,
         "oasis.agent.instance." + id,
         // The identity probe's answer goes to the asking instance of the
         // same agent, under its own inbox prefix.
         wire::agent_inbox_prefix(id) + ".>",
         "$JS.API.DIRECT.GET." + std::string(wire::kTaskStream) + "." + tasks,
         "$JS.API.CONSUMER.CREATE." + std::string(wire::kResultStream) + "." +
             wire::result_check_consumer(id) + "." + results_of_mine,
         "$JS.API.CONSUMER.DELETE." + std::string(wire::kResultStream) + "." +
             wire::result_check_consumer(id),
         "$JS.API.CONSUMER.CREATE." + std::string(wire::kTaskStream) + "." +
             wire::task_catchup_consumer(id) + "." + tasks,
         "$JS.API.CONSUMER.DELETE." + std::string(wire::kTaskStream) + "." +
             wire::task_catchup_consumer(id),
         // File content: any object's meta, and chunks through its own
         // consumer (acknowledged, so NATS sends only a window ahead).
         "$JS.API.DIRECT.GET." + file_stream + ".$O." + files + ".M.*",
         "$JS.API.CONSUMER.CREATE." + file_stream + "." + fetch + ".$O." + files + ".C.*",
         "$JS.API.CONSUMER.DELETE." + file_stream + "." + fetch,
         "$JS.ACK." + file_stream + "." + fetch + ".>"},
        {tasks, "oasis.agent.instance." + id, wire::agent_inbox_prefix(id) + ".>"},
        "Agent " + id + ": its own tasks, results and heartbeats only.",
        /*allow_responses=*/false);
}

}  // namespace

std::string agent_nats_user(std::string_view agent_id) {
    return std::string(agent_id) + ".agent.oasis";
}

std::string nats_authorization(const std::vector<std::string>& agent_ids) {
    std::string out = "authorization {\n  users = [\n";
    out += server_entry();
    out += operator_entry();
    for (const auto& id : agent_ids) out += agent_entry(id);
    out += "  ]\n}\n";
    return out;
}

}  // namespace oasis
