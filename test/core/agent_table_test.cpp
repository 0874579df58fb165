#include "oasis/agent_table.h"

#include "case_fleets.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using oasis::AgentTable;
using oasis::AgentView;
using oasis::BoundSelector;
using oasis::Selector;
using oasis::StringMap;

namespace {

using Ids = std::vector<std::string>;
using Rows = std::vector<std::size_t>;

using oasis::testing::TestAgent;

Selector parsed(std::string_view text) {
    auto selector = Selector::parse(text);
    INFO(selector.status().message());
    REQUIRE(selector.ok());
    return *selector;
}

// Rows, in fleet order, that Selector::matches picks: the reference answer.
Rows reference(const std::vector<TestAgent>& fleet, const Selector& selector) {
    Rows rows;
    for (std::size_t i = 0; i < fleet.size(); ++i)
        if (selector.matches(fleet[i].view())) rows.push_back(i);
    return rows;
}

std::vector<TestAgent> c05_fleet() { return oasis::testing::c05_agents(); }

std::vector<TestAgent> c06_fleet() { return oasis::testing::c06_agents(); }

// C05 and C06 together with agents that reuse strings across roles: a group
// named like a label key, a label value equal to an agent id, empty values,
// duplicate groups, unknown facts and a repeated id.
std::vector<TestAgent> varied_fleet() {
    std::vector<TestAgent> fleet = c05_fleet();
    for (TestAgent& agent : c06_fleet()) fleet.push_back(agent);

    fleet.push_back({"web-1",
                     {{"role", "web"}, {"env", "prod"}, {"rack", ""}},
                     {"prod", "web", "prod"},
                     {{"os_name", "linux"}, {"cpu_cores", "8"}, {"hostname", "web-1"}}});
    fleet.push_back({"db-1",
                     {{"role", "db"}, {"env", "agent-1"}, {"maintenance", "true"}},
                     {"env", "db", "canary"},
                     {{"os_name", "freebsd"}, {"cpu_cores", "08"}, {"colour", "blue"}}});
    fleet.push_back({"10.0.0.7", {{"web", "role"}}, {"Zürich"}, {{"kernel_version", ""}}});
    fleet.push_back({"web-1", {{"role", "lb"}}, {}, {{"os_name", "linux"}}});
    fleet.push_back({"bare", {}, {}, {}});
    return fleet;
}

const char* const kSelectors[] = {
    "all",
    "true",
    "false",
    "not false",
    "agent-1",
    "agent-1,agent-3,nobody",
    "nobody",
    "not agent-1,agent-2",
    "(web-1)",
    "10.0.0.7",
    R"(labels["env"] == "prod")",
    R"(labels["env"] != "prod")",
    R"(labels["env"] == "")",
    R"(labels["rack"] == "")",
    R"(labels["rack"] != "")",
    R"(labels["region"] == "eu")",
    R"(labels["region"] != "eu")",
    R"(labels["env"] == "nowhere")",
    R"(labels["env"] != "nowhere")",
    R"(labels["env"] == "agent-1")",
    R"(labels["web"] == "role")",
    R"(labels["role"] == "web")",
    R"(labels["team"] == "a,b")",
    R"(labels["query"] == "x=y")",
    R"(labels["note"] == "say \"hi\"")",
    R"(labels["city"] == "Zürich")",
    R"(labels["city"] == "Zurich")",
    R"x(labels["mode"] == "and (or)")x",
    R"(system["os_name"] == "Red Hat Enterprise Linux")",
    R"(system["os_name"] == "linux")",
    R"(system["os_name"] != "linux")",
    R"(system["cpu_cores"] == "8")",
    R"(system["kernel_version"] == "")",
    R"(system["hostname"] == "web-1")",
    R"(system["primary_ip"] != "10.0.0.7")",
    R"("web" in groups)",
    R"("web" not in groups)",
    R"("prod" in groups)",
    R"("env" in groups)",
    R"("Zürich" in groups)",
    R"("nowhere" in groups)",
    R"("nowhere" not in groups)",
    R"("env" in labels)",
    R"("env" not in labels)",
    R"("maintenance" in labels)",
    R"("nowhere" in labels)",
    R"("nowhere" not in labels)",
    R"(not labels["env"] == "prod")",
    R"(not labels["env"] == "prod" and "web" in groups)",
    R"(not (labels["env"] == "prod" and "web" in groups))",
    R"(labels["env"] == "prod" or labels["env"] == "staging" and "web" in groups)",
    R"((labels["env"] == "prod" or labels["env"] == "staging") and "web" in groups)",
    R"(not not labels["env"] == "prod")",
    R"("env" in labels and labels["env"] != "prod")",
    R"(agent-1,agent-2 and labels["env"] == "prod")",
    R"(web-1 or "db" in groups or system["cpu_cores"] == "08")",
    R"(not ("nowhere" in groups or labels["nowhere"] == "x") and not false)",
};

}  // namespace

TEST_CASE("the table selects exactly the agents Selector::matches selects", "[agent_table]") {
    std::vector<TestAgent> fleet = varied_fleet();
    AgentTable table;
    for (const TestAgent& agent : fleet) table.add(agent.view());
    REQUIRE(table.size() == fleet.size());

    for (const char* text : kSelectors) {
        INFO(text);
        Selector selector = parsed(text);
        Rows expected = reference(fleet, selector);
        REQUIRE(table.select(selector) == expected);

        BoundSelector bound = selector.bind(table);
        Rows one_by_one;
        for (std::size_t row = 0; row < table.size(); ++row)
            if (bound.matches(row)) one_by_one.push_back(row);
        REQUIRE(one_by_one == expected);
    }
}

TEST_CASE("the table gives the documented answers for peer cases C05 and C06", "[agent_table]") {
    auto select_ids = [](const std::vector<TestAgent>& fleet, std::string_view text) {
        AgentTable table;
        for (const TestAgent& agent : fleet) table.add(agent.view());
        Ids ids;
        for (std::size_t row : table.select(parsed(text))) ids.emplace_back(table.id(row));
        return ids;
    };

    SECTION("C05") {
        auto fleet = c05_fleet();
        REQUIRE(select_ids(fleet, R"(not labels["env"] == "prod")") == Ids{"agent-2", "agent-3"});
        REQUIRE(select_ids(fleet, R"(not (labels["env"] == "prod" and "web" in groups))") ==
                Ids{"agent-2", "agent-3", "agent-4"});
        REQUIRE(select_ids(fleet, R"(labels["env"] == "")").empty());
    }
    SECTION("C06") {
        auto fleet = c06_fleet();
        REQUIRE(select_ids(fleet, R"(labels["team"] == "a,b")") == Ids{"agent-2"});
        REQUIRE(select_ids(fleet, R"(labels["city"] == "Zürich")") == Ids{"agent-5"});
        REQUIRE(select_ids(fleet, R"(labels["city"] == "Zurich")").empty());
    }
}

TEST_CASE("an empty table selects nothing, even with all", "[agent_table]") {
    AgentTable table;
    REQUIRE(table.size() == 0);
    REQUIRE(table.select(parsed("all")).empty());
    REQUIRE(table.select(parsed(R"(labels["env"] != "prod")")).empty());
}

TEST_CASE("an agent without labels, groups or facts behaves as with Selector::matches",
          "[agent_table]") {
    TestAgent bare{"bare", {}, {}, {}};
    AgentTable table;
    table.add(bare.view());

    REQUIRE(table.id(0) == "bare");
    REQUIRE(table.labels(0).empty());
    REQUIRE(table.groups(0).empty());
    REQUIRE(table.select(parsed(R"(labels["env"] != "prod")")) == Rows{0});
    REQUIRE(table.select(parsed(R"("env" not in labels)")) == Rows{0});
    REQUIRE(table.select(parsed(R"(system["os_name"] == "linux")")).empty());
    REQUIRE(table.select(parsed("bare")) == Rows{0});
}

TEST_CASE("duplicate groups are stored once and still match", "[agent_table]") {
    TestAgent agent{"agent-1", {}, {"web", "web", "db", "web"}, {}};
    AgentTable table;
    table.add(agent.view());

    REQUIRE(table.groups(0).size() == 2);
    REQUIRE(table.select(parsed(R"("web" in groups)")) == Rows{0});
    REQUIRE(table.select(parsed(R"("web" not in groups)")).empty());
}

TEST_CASE("a default-made selector bound to a table matches no row", "[agent_table]") {
    TestAgent agent{"agent-1", {}, {}, {}};
    AgentTable table;
    table.add(agent.view());

    REQUIRE(table.select(Selector()).empty());
    REQUIRE_FALSE(Selector().bind(table).matches(0));
    REQUIRE_FALSE(BoundSelector().matches(0));
}
