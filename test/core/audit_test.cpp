#include "oasis/audit.h"

#include "oasis/wire.h"

#include <catch2/catch.hpp>

using namespace oasis;
using namespace oasis::wire;

namespace {

AuditRecord exec_run_record() {
    AuditRecord r;
    r.time_ms = 1700000000000;
    r.caller = "unverified-alice";
    r.action = "exec.run";
    r.request.batch_id = "b-0123456789ab";
    r.request.selector = "labels[\"env\"] == \"prod\"";
    r.request.argv = {"systemctl", "restart", "nginx"};
    r.request.timeout_sec = 30;
    r.request.targets = 3;
    r.outcome = "ok";
    r.batch_id = "b-0123456789ab";
    r.server = "srv-1";
    return r;
}

Alert refusal() {
    return Alert{"task_refused",
                 "agent-1",
                 "b-0123456789ab.agent-1",
                 "b-0123456789ab",
                 "the task's start deadline had passed",
                 1700000000500};
}

}  // namespace

TEST_CASE("an audit record survives encoding and decoding unchanged", "[audit]") {
    AuditRecord r = exec_run_record();
    auto back = decode_audit_record(encode(r));
    INFO(back.status().message());
    REQUIRE(back.ok());
    CHECK(back->time_ms == r.time_ms);
    CHECK(back->caller == r.caller);
    CHECK(back->action == r.action);
    CHECK(back->request.batch_id == r.request.batch_id);
    CHECK(back->request.selector == r.request.selector);
    CHECK(back->request.argv == r.request.argv);
    CHECK(back->request.timeout_sec == 30);
    CHECK(back->request.targets == std::optional<std::uint64_t>(3));
    CHECK_FALSE(back->request.labels);
    CHECK(back->outcome == "ok");
    CHECK(back->batch_id == r.batch_id);
    CHECK(back->server == "srv-1");
}

TEST_CASE("a record keeps only the request fields that were set", "[audit]") {
    AuditRecord r;
    r.time_ms = 1;
    r.caller = "oasis-cli";
    r.action = "agent.set";
    r.request.agent_id = "agent-1";
    r.request.groups = std::vector<std::string>{};
    r.outcome = "no agent \"agent-1\" has ever reported";
    std::string json = encode(r);
    CHECK(json.find("\"request\":{\"agent_id\":\"agent-1\",\"groups\":[]}") != std::string::npos);
    CHECK(json.find("\"batch_id\"") == std::string::npos);
    auto back = decode_audit_record(json);
    REQUIRE(back.ok());
    CHECK_FALSE(back->request.labels);
    REQUIRE(back->request.groups);
    CHECK(back->request.groups->empty());
    CHECK_FALSE(back->request.targets);
}

TEST_CASE("an alert survives encoding and decoding unchanged", "[audit]") {
    auto back = decode_alert(encode(refusal()));
    REQUIRE(back.ok());
    CHECK(back->kind == "task_refused");
    CHECK(back->agent_id == "agent-1");
    CHECK(back->task_id == "b-0123456789ab.agent-1");
    CHECK(back->batch_id == "b-0123456789ab");
    CHECK(back->reason == "the task's start deadline had passed");
    CHECK(back->time_ms == 1700000000500);
}

TEST_CASE("an audit listing survives encoding and decoding", "[audit]") {
    AuditListReply reply;
    reply.entries.push_back({7, 1700000000600, refusal()});
    reply.entries.push_back({5, 1700000000100, exec_run_record()});
    reply.skipped.push_back({6, "oasis.audit.exec.run", "malformed JSON"});
    reply.next_before_seq = 5;
    auto back = decode_audit_list_reply(encode(reply));
    INFO(back.status().message());
    REQUIRE(back.ok());
    REQUIRE(back->entries.size() == 2);
    CHECK(back->entries[0].seq == 7);
    CHECK(std::get<Alert>(back->entries[0].what).agent_id == "agent-1");
    CHECK(back->entries[1].stored_ms == 1700000000100);
    CHECK(std::get<AuditRecord>(back->entries[1].what).request.argv.size() == 3);
    REQUIRE(back->skipped.size() == 1);
    CHECK(back->skipped[0].subject == "oasis.audit.exec.run");
    CHECK(back->next_before_seq == 5);
}

TEST_CASE("a stored message becomes an entry only when its subject and body agree", "[audit]") {
    SECTION("a record on its action's subject") {
        auto e = audit_entry_from("oasis.audit.exec.run", encode(exec_run_record()), 3, 99);
        REQUIRE(e.ok());
        CHECK(e->seq == 3);
        CHECK(e->stored_ms == 99);
        CHECK(std::get<AuditRecord>(e->what).caller == "unverified-alice");
    }
    SECTION("an alert on its agent's subject") {
        auto e = audit_entry_from(stored_alert_subject("agent-1"), encode(refusal()), 4, 0);
        REQUIRE(e.ok());
        CHECK(std::get<Alert>(e->what).kind == "task_refused");
    }
    SECTION("an agent id with dots spans subject tokens") {
        Alert a = refusal();
        a.agent_id = "web.eu-1";
        CHECK(audit_entry_from("oasis.audit.alert.web.eu-1", encode(a), 4, 0).ok());
    }
    SECTION("a record of another action") {
        auto e = audit_entry_from("oasis.audit.agent.set", encode(exec_run_record()), 3, 0);
        REQUIRE_FALSE(e.ok());
        CHECK(e.status().message() == "a record of \"exec.run\" on oasis.audit.agent.set");
    }
    SECTION("an alert that claims another agent") {
        auto e = audit_entry_from("oasis.audit.alert.agent-2", encode(refusal()), 3, 0);
        REQUIRE_FALSE(e.ok());
        CHECK(e.status().message() == "an alert of agent \"agent-1\" on oasis.audit.alert.agent-2");
    }
    SECTION("a subject outside the trail") {
        CHECK_FALSE(audit_entry_from("oasis.task.agent-1", encode(refusal()), 3, 0).ok());
    }
    SECTION("a long reason is cut for the listing, at a character boundary") {
        Alert a = refusal();
        a.reason = std::string(2047, 'x') + "é" + std::string(5000, 'y');
        auto e = audit_entry_from("oasis.audit.alert.agent-1", encode(a), 4, 0);
        REQUIRE(e.ok());
        CHECK(std::get<Alert>(e->what).reason == std::string(2047, 'x') + "...");
    }
}

TEST_CASE("malformed audit messages are refused with the reason", "[audit]") {
    auto record_error = [](std::string_view json) {
        return decode_audit_record(json).status().message();
    };
    CHECK_THAT(record_error("not json"), Catch::StartsWith("malformed JSON"));
    CHECK(record_error(R"({"api":1})") == "field \"time_ms\": is required");
    // A record of exec.run with `fields` added.
    auto record = [](const std::string& fields) {
        return R"({"api":1,"time_ms":1,"action":"exec.run",)" + fields + "}";
    };
    CHECK(record_error(record(R"("caller":"a.b","request":{},"outcome":"ok")")) ==
          "field \"caller\": is not a caller token ([A-Za-z0-9_-], 1 to 64)");
    CHECK(record_error(record(R"("caller":"a","outcome":"ok")")) ==
          "field \"request\": is required");
    CHECK(record_error(record(R"("caller":"a","request":{"argv":"x"},"outcome":"ok")")) ==
          "field \"request.argv\": expected an array of strings");
    CHECK(record_error(record(R"("caller":"a","request":{},"outcome":"")")) ==
          "field \"outcome\": is empty");

    auto alert_error = [](std::string_view json) { return decode_alert(json).status().message(); };
    CHECK(alert_error(R"({"api":1,"agent_id":"a"})") == "field \"kind\": is required");
    CHECK(alert_error(R"({"api":1,"kind":"task_refused","agent_id":"../x"})") ==
          "field \"agent_id\": is not an agent id");
    CHECK(alert_error(R"({"api":1,"kind":"task_refused","agent_id":"a","time_ms":"now"})") ==
          "field \"time_ms\": expected a whole number");
    CHECK(decode_alert(R"({"api":1,"kind":"task_refused","agent_id":"a"})").ok());

    CHECK(decode_audit_list_request(R"({"api":1,"limit":0})").status().message() ==
          "field \"limit\": must be from 1 to 1000, got 0");
    CHECK(decode_audit_list_request(R"({"api":1})")->limit == 50);
    CHECK(decode_audit_list_reply(R"({"api":1,"entries":[{"seq":1}]})").status().message() ==
          "field \"entries[0].record\": is required (or \"alert\")");
}

TEST_CASE("shorten cuts at a character boundary and says so", "[audit]") {
    CHECK(shorten("short", 10) == "short");
    CHECK(shorten("0123456789", 10) == "0123456789");
    CHECK(shorten("0123456789x", 10) == "0123456789...");
    CHECK(shorten("aé", 2) == "a...");  // é is two bytes
    CHECK(shorten("abc", 0) == "...");
}
