#include "oasis/nats_permissions.h"
#include "oasis/wire.h"

#include <catch2/catch.hpp>

using Catch::Contains;

namespace {

// The text of the user entry for `user` in `conf`, up to the next entry.
std::string entry_of(const std::string& conf, const std::string& user) {
    auto at = conf.find("user: \"" + user + "\"");
    if (at == std::string::npos) return "";
    auto end = conf.find("{ user:", at + 1);
    return conf.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

TEST_CASE("each agent gets a user confined to its own subjects", "[permissions]") {
    std::string conf = oasis::nats_authorization({"a1", "web.1"});
    std::string a1 = entry_of(conf, "a1.agent.oasis");
    REQUIRE_FALSE(a1.empty());
    CHECK_THAT(a1, Contains("\"oasis.task.a1\""));
    CHECK_THAT(a1, Contains("\"oasis.result.*.a1\""));
    CHECK_THAT(a1, Contains("\"oasis.hb.a1\""));
    CHECK_THAT(a1, Contains("\"_oasis_inbox.agent.6131.>\""));
    CHECK_THAT(a1,
               Contains("$JS.API.CONSUMER.CREATE.OASIS_TASKS.oasis_catchup_6131.oasis.task.a1"));
    // NATS echoes its own messages to a client: answering what it receives
    // would let an agent publish anywhere.
    CHECK_THAT(a1, !Contains("allow_responses"));
    // Nothing that reaches beyond its own name.
    for (const char* wide : {"\"oasis.>\"", "\"oasis.task.>\"", "\"$JS.API.>\"", "\"$KV.",
                             "\"$O.", "oasis.ctl", "\"_oasis_inbox.>\"", "\">\""})
        CHECK_THAT(a1, !Contains(wide));

    // A dotted id is hex-encoded where it names a single token.
    std::string web = entry_of(conf, "web.1.agent.oasis");
    REQUIRE_FALSE(web.empty());
    CHECK_THAT(web, Contains("\"_oasis_inbox.agent." + oasis::wire::hex_token("web.1") + ".>\""));
    CHECK_THAT(web, Contains("\"oasis.task.web.1\""));
}

TEST_CASE("the operator may send control requests only under its own name", "[permissions]") {
    std::string conf = oasis::nats_authorization({});
    std::string op = entry_of(conf, oasis::kOperatorNatsUser);
    REQUIRE_FALSE(op.empty());
    CHECK_THAT(op, Contains("\"oasis.ctl.*.*.oasis-cli\""));
    CHECK_THAT(op, !Contains("oasis.task"));
    CHECK_THAT(op, !Contains("$KV"));
    CHECK_THAT(op, !Contains("OASIS_TASKS"));
    CHECK(entry_of(conf, "a1.agent.oasis").empty());
    CHECK_FALSE(entry_of(conf, oasis::kServerNatsUser).empty());
}

TEST_CASE("inbox prefixes of different agents never cover each other", "[permissions]") {
    // "a" and "a.b" as plain tokens would nest: _oasis_inbox.agent.a.>
    // covers _oasis_inbox.agent.a.b.x. Hex keeps each one token.
    auto a = oasis::wire::agent_inbox_prefix("a");
    auto ab = oasis::wire::agent_inbox_prefix("a.b");
    CHECK(a.find('.', std::string("_oasis_inbox.agent.").size()) == std::string::npos);
    CHECK(ab.find('.', std::string("_oasis_inbox.agent.").size()) == std::string::npos);
    CHECK(ab.rfind(a + ".", 0) != 0);
    CHECK(oasis::wire::task_catchup_consumer("a.b").find('.') == std::string::npos);
    CHECK(oasis::wire::hex_token("") == "");
    CHECK(oasis::wire::hex_token(std::string("\x00\xff", 2)) == "00ff");
}
