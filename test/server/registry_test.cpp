#include "server/registry.h"

#include <catch2/catch.hpp>

using namespace oasis;
using oasis::server::Registry;

namespace {

wire::AgentInfo agent(std::string id, StringMap labels, std::vector<std::string> groups = {}) {
    wire::AgentInfo a;
    a.id = std::move(id);
    a.labels = std::move(labels);
    a.groups = std::move(groups);
    a.facts = {{"os_name", "linux"}};
    return a;
}

Selector parse(std::string_view text) {
    auto s = Selector::parse(text);
    REQUIRE(s.ok());
    return *s;
}

constexpr std::int64_t kNow = 1'000'000'000;

}  // namespace

TEST_CASE("an agent is online while its last heartbeat is younger than the TTL", "[registry]") {
    Registry r(60);
    r.on_heartbeat(agent("a", {}), kNow - 59'000);
    r.on_heartbeat(agent("b", {}), kNow - 61'000);
    CHECK(r.get("a", kNow)->online);
    CHECK_FALSE(r.get("b", kNow)->online);
    CHECK(r.online_count(kNow) == 1);
}

TEST_CASE("an older replayed heartbeat does not move last-seen back", "[registry]") {
    Registry r(60);
    r.on_heartbeat(agent("a", {{"v", "new"}}), kNow);
    r.on_heartbeat(agent("a", {{"v", "old"}}), kNow - 30'000);
    CHECK(r.get("a", kNow)->last_seen_ms == kNow);
    CHECK(r.get("a", kNow)->info.labels.at("v") == "new");
}

TEST_CASE("a selector picks only online agents", "[registry]") {
    Registry r(60);
    r.on_heartbeat(agent("web-1", {{"role", "web"}}), kNow);
    r.on_heartbeat(agent("web-2", {{"role", "web"}}), kNow - 120'000);
    r.on_heartbeat(agent("db-1", {{"role", "db"}}), kNow);
    auto sel = r.select(parse(R"(labels["role"] == "web")"), kNow);
    CHECK(sel.online == std::vector<std::string>{"web-1"});
    CHECK(sel.offline.empty());
    CHECK(sel.unknown.empty());
}

TEST_CASE("an id list picks named agents online or not and names unknown ones", "[registry]") {
    Registry r(60);
    r.on_heartbeat(agent("a", {}), kNow);
    r.on_heartbeat(agent("b", {}), kNow - 120'000);
    auto sel = r.select(parse("a,b,ghost"), kNow);
    CHECK(sel.online == std::vector<std::string>{"a"});
    CHECK(sel.offline == std::vector<std::string>{"b"});
    CHECK(sel.unknown == std::vector<std::string>{"ghost"});
}

TEST_CASE("an override replaces reported labels and groups until removed", "[registry]") {
    Registry r(60);
    r.on_heartbeat(agent("a", {{"role", "web"}}, {"web"}), kNow);
    wire::AgentOverride o;
    o.labels = StringMap{{"role", "db"}};
    r.on_override("a", o);
    CHECK(r.get("a", kNow)->info.labels.at("role") == "db");
    CHECK(r.get("a", kNow)->info.groups == std::vector<std::string>{"web"});

    SECTION("and survives the agent's next heartbeat") {
        r.on_heartbeat(agent("a", {{"role", "web"}}, {"web"}), kNow + 1);
        CHECK(r.get("a", kNow)->info.labels.at("role") == "db");
        CHECK(r.select(parse(R"(labels["role"] == "db")"), kNow).online.size() == 1);
    }
    SECTION("an override that arrives before the agent applies when it does") {
        r.on_override("later", o);
        r.on_heartbeat(agent("later", {{"role", "web"}}), kNow);
        CHECK(r.get("later", kNow)->info.labels.at("role") == "db");
    }
    SECTION("an empty override restores what the agent reports") {
        r.on_override("a", {});
        CHECK(r.get("a", kNow)->info.labels.at("role") == "web");
    }
}

TEST_CASE("listing is sorted by id and filtered by the selector", "[registry]") {
    Registry r(60);
    for (auto id : {"c", "a", "b"}) r.on_heartbeat(agent(id, {{"x", id}}), kNow);
    auto all = r.list(nullptr, kNow);
    REQUIRE(all.size() == 3);
    CHECK(all[0].info.id == "a");
    CHECK(all[2].info.id == "c");
    auto sel = parse(R"(labels["x"] != "b")");
    CHECK(r.list(&sel, kNow).size() == 2);
}

TEST_CASE("a selection sees what the latest heartbeat says", "[registry]") {
    Registry r(60);
    r.on_heartbeat(agent("a", {{"role", "web"}}), kNow);
    auto web = parse(R"(labels["role"] == "web")");
    auto db = parse(R"(labels["role"] == "db")");
    CHECK(r.select(web, kNow).online.size() == 1);

    r.on_heartbeat(agent("a", {{"role", "db"}}), kNow + 1);
    CHECK(r.select(web, kNow).online.empty());
    CHECK(r.select(db, kNow).online == std::vector<std::string>{"a"});

    SECTION("and a new agent too") {
        r.on_heartbeat(agent("b", {{"role", "db"}}), kNow + 2);
        CHECK(r.select(db, kNow).online == std::vector<std::string>{"a", "b"});
    }
    SECTION("and a forgotten one no longer") {
        r.forget("a");
        CHECK(r.select(db, kNow).online.empty());
        CHECK(r.list(&db, kNow).empty());
    }
}
