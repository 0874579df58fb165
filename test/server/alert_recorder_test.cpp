#include "server/alert_recorder.h"

#include "oasis/audit.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using oasis::server::AlertRecorder;

namespace {

std::string alert_json(const std::string& agent, const std::string& kind = "task_refused",
                       const std::string& reason = "unsigned") {
    oasis::wire::Alert a{kind, agent, "b-000000000001." + agent, "b-000000000001", reason, 1};
    return oasis::wire::encode(a);
}

struct Stored {
    std::vector<std::pair<std::string, std::string>> messages;
    AlertRecorder recorder{[this](const std::string& subject, const std::string& data) {
        messages.emplace_back(subject, data);
        return oasis::Status{};
    }};
};

}  // namespace

TEST_CASE("an agent's alert is stored on the audit subject of its agent", "[alerts]") {
    Stored s;
    CHECK(s.recorder.on_message("oasis.alert.web.1", alert_json("web.1"), 1000) == "stored");
    REQUIRE(s.messages.size() == 1);
    CHECK(s.messages[0].first == "oasis.audit.alert.web.1");
    auto back = oasis::wire::decode_alert(s.messages[0].second);
    REQUIRE(back.ok());
    CHECK(back->agent_id == "web.1");
}

TEST_CASE("alerts that are malformed, forged or of no known kind are not stored",
          "[alerts]") {
    Stored s;
    CHECK(s.recorder.on_message("oasis.alert.a1", "not json", 0) == "malformed");
    CHECK(s.recorder.on_message("oasis.alert.a1", "", 0) == "malformed");
    CHECK(s.recorder.on_message("oasis.alert.a1", alert_json("a2"), 0) == "forged");
    CHECK(s.recorder.on_message("oasis.alert.a1", alert_json("a1", "exec.run"), 0) ==
          "unknown_kind");
    CHECK(s.recorder.on_message("oasis.other.a1", alert_json("a1"), 0) == "malformed");
    CHECK(s.messages.empty());
}

TEST_CASE("each agent gets a bounded number of alerts stored a minute, of bounded size",
          "[alerts]") {
    Stored s;
    const std::string huge(900000, 'x');
    int stored = 0;
    for (int i = 0; i < 200; ++i)
        stored += s.recorder.on_message("oasis.alert.a1", alert_json("a1", "task_refused", huge),
                                        1000 + i) == "stored";
    CHECK(stored == AlertRecorder::kAlertsPerMinute);
    for (const auto& [subject, data] : s.messages) CHECK(data.size() < 2048);
    // Another agent has its own allowance; a minute later a1 has a new one.
    CHECK(s.recorder.on_message("oasis.alert.a2", alert_json("a2"), 2000) == "stored");
    CHECK(s.recorder.on_message("oasis.alert.a1", alert_json("a1"), 61000) == "stored");
}
