#include "oasis/selector.h"

#include "case_fleets.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using oasis::AgentView;
using oasis::Code;
using oasis::Selector;
using oasis::StringMap;

namespace {

using Ids = std::vector<std::string>;

using oasis::testing::TestAgent;

// A fleet and the ids of its agents that a selector picks, in fleet order.
struct Fleet {
    std::vector<TestAgent> agents;

    Ids matching(std::string_view text) const {
        auto selector = Selector::parse(text);
        INFO(selector.status().message());
        REQUIRE(selector.ok());
        Ids ids;
        for (const auto& agent : agents)
            if (selector->matches(agent.view())) ids.push_back(agent.id);
        return ids;
    }
};

// The whole error message for `text`, which must fail to parse.
std::string parse_error(std::string_view text) {
    auto selector = Selector::parse(text);
    REQUIRE_FALSE(selector.ok());
    REQUIRE(selector.status().code() == Code::invalid_argument);
    return selector.status().message();
}

// C04: agent-1..agent-3, no `region` label and only two facts each.
Fleet c04_fleet() {
    Fleet fleet;
    for (int i = 1; i <= 3; ++i)
        fleet.agents.push_back({"agent-" + std::to_string(i),
                                {{"role", "web"}},
                                {"web"},
                                {{"os_name", "linux"}, {"hostname", "h" + std::to_string(i)}}});
    return fleet;
}

Fleet c05_fleet() { return {oasis::testing::c05_agents()}; }

Fleet c06_fleet() { return {oasis::testing::c06_agents()}; }

}  // namespace

// ---- Constants --------------------------------------------------------------

TEST_CASE("all and true pick every agent and false picks none", "[selector]") {
    Fleet fleet = c04_fleet();
    Ids everyone{"agent-1", "agent-2", "agent-3"};
    REQUIRE(fleet.matching("all") == everyone);
    REQUIRE(fleet.matching("true") == everyone);
    REQUIRE(fleet.matching("  all  ") == everyone);
    REQUIRE(fleet.matching("false").empty());

    REQUIRE(Selector::parse("all")->is_all());
    REQUIRE(Selector::parse("true")->is_all());
    REQUIRE(Selector::parse("(not false)")->is_all());
    REQUIRE_FALSE(Selector::parse("false")->is_all());
    REQUIRE_FALSE(Selector::parse("all and \"web\" in groups")->is_all());
}

TEST_CASE("keywords are lower-case only", "[selector]") {
    // `ALL` is a valid agent id, not the keyword.
    REQUIRE(c04_fleet().matching("ALL").empty());
    REQUIRE(Selector::parse("ALL")->is_id_list());
}

// ---- C04: an empty target set never widens to everything -------------------

TEST_CASE("an empty or blank selector is a parse error, not all", "[selector]") {
    REQUIRE(parse_error("") ==
            "selector:1:1: empty selector; use `all` to pick every node\n"
            "  \n"
            "  ^");
    REQUIRE(parse_error("   ") ==
            "selector:1:1: empty selector; use `all` to pick every node\n"
            "     \n"
            "  ^");
    REQUIRE(parse_error("\t\n") ==
            "selector:1:1: empty selector; use `all` to pick every node\n"
            "    \n"
            "  ^");
}

TEST_CASE("a label that no agent has matches no agent", "[selector]") {
    REQUIRE(c04_fleet().matching(R"(labels["region"] == "eu")").empty());
}

TEST_CASE("a known fact that agents do not report matches no agent", "[selector]") {
    REQUIRE(c04_fleet().matching(R"(system["kernel_version"] == "6.1")").empty());
}

TEST_CASE("a fact name outside kFactNames is a parse error listing the known ones",
          "[selector]") {
    REQUIRE(parse_error(R"(system["rack"] == "r12")") ==
            "selector:1:8: unknown fact \"rack\"; known facts: hostname, primary_ip, "
            "cpu_arch, cpu_cores, memory_total_gb, os_name, os_version, kernel_version\n"
            "  system[\"rack\"] == \"r12\"\n"
            "         ^");
}

TEST_CASE("negating a comparison on a missing label matches every agent", "[selector]") {
    Fleet fleet = c04_fleet();
    Ids everyone{"agent-1", "agent-2", "agent-3"};
    REQUIRE(fleet.matching(R"(not labels["region"] == "eu")") == everyone);
    REQUIRE(fleet.matching(R"(labels["region"] != "eu")") == everyone);
}

// ---- C05: negation with a missing label, and precedence ---------------------

TEST_CASE("not with a missing label and not/and/or precedence follow boolean logic",
          "[selector]") {
    Fleet fleet = c05_fleet();

    REQUIRE(fleet.matching(R"(not labels["env"] == "prod")") == Ids{"agent-2", "agent-3"});
    REQUIRE(fleet.matching(R"(not labels["env"] == "prod" and "web" in groups)") ==
            Ids{"agent-2", "agent-3"});
    REQUIRE(fleet.matching(R"(not (labels["env"] == "prod" and "web" in groups))") ==
            Ids{"agent-2", "agent-3", "agent-4"});
    REQUIRE(fleet.matching(R"(labels["env"] == "prod" or labels["env"] == "staging")"
                           R"( and "web" in groups)") == Ids{"agent-1", "agent-2", "agent-4"});
    REQUIRE(fleet.matching(R"((labels["env"] == "prod" or labels["env"] == "staging"))"
                           R"( and "web" in groups)") == Ids{"agent-1", "agent-2"});
    REQUIRE(fleet.matching(R"(not not labels["env"] == "prod")") == Ids{"agent-1", "agent-4"});
    REQUIRE(fleet.matching(R"(labels["env"] == "")").empty());
}

TEST_CASE("!= is the negation of == and so matches agents without the label",
          "[selector]") {
    Fleet fleet = c05_fleet();
    REQUIRE(fleet.matching(R"(labels["env"] != "prod")") == Ids{"agent-2", "agent-3"});
    REQUIRE(fleet.matching(R"(labels["env"] != "")") == fleet.matching("all"));
}

TEST_CASE("in labels tests that a label is present", "[selector]") {
    Fleet fleet = c05_fleet();
    REQUIRE(fleet.matching(R"("env" in labels)") == Ids{"agent-1", "agent-2", "agent-4"});
    REQUIRE(fleet.matching(R"("env" not in labels)") == Ids{"agent-3"});
    REQUIRE(fleet.matching(R"("env" in labels and labels["env"] != "prod")") ==
            Ids{"agent-2"});
}

TEST_CASE("in groups and not in groups test group membership", "[selector]") {
    Fleet fleet = c05_fleet();
    REQUIRE(fleet.matching(R"("db" in groups)") == Ids{"agent-4"});
    REQUIRE(fleet.matching(R"("db" not in groups)") == Ids{"agent-1", "agent-2", "agent-3"});
    REQUIRE(fleet.matching(R"("nope" in groups)").empty());
}

TEST_CASE("and binds tighter than or, whichever side it is on", "[selector]") {
    Fleet fleet = c05_fleet();
    // agent-4 is prod in db: true or (false and ...) is true.
    REQUIRE(fleet.matching(R"("db" in groups or "web" in groups and labels["env"] == "x")") ==
            Ids{"agent-4"});
    REQUIRE(fleet.matching(R"("web" in groups and labels["env"] == "x" or "db" in groups)") ==
            Ids{"agent-4"});
}

TEST_CASE("system facts compare like labels", "[selector]") {
    Fleet fleet = c04_fleet();
    REQUIRE(fleet.matching(R"(system["hostname"] == "h2")") == Ids{"agent-2"});
    REQUIRE(fleet.matching(R"(system["hostname"] != "h2")") == Ids{"agent-1", "agent-3"});
    REQUIRE(fleet.matching(R"(system["os_name"] == "linux" and labels["role"] == "web")")
                .size() == 3);
}

// ---- C06: quoted values are never split -------------------------------------

TEST_CASE("quoted values keep spaces, commas, '=', quotes, keywords and UTF-8",
          "[selector]") {
    Fleet fleet = c06_fleet();
    REQUIRE(fleet.matching(R"(system["os_name"] == "Red Hat Enterprise Linux")") ==
            Ids{"agent-1"});
    REQUIRE(fleet.matching(R"(labels["team"] == "a,b")") == Ids{"agent-2"});
    REQUIRE(fleet.matching(R"(labels["query"] == "x=y")") == Ids{"agent-3"});
    REQUIRE(fleet.matching(R"(labels["note"] == "say \"hi\"")") == Ids{"agent-4"});
    REQUIRE(fleet.matching(R"(labels["city"] == "Zürich")") == Ids{"agent-5"});
    REQUIRE(fleet.matching(R"(labels["city"] == "Zurich")").empty());
    REQUIRE(fleet.matching(R"s(labels["mode"] == "and (or)")s") == Ids{"agent-6"});
}

TEST_CASE("an unterminated string names the column where it starts", "[selector]") {
    REQUIRE(parse_error(R"(labels["team"] == "a,b)") ==
            "selector:1:19: unterminated string; the quote here is never closed\n"
            "  labels[\"team\"] == \"a,b\n"
            "                    ^");
    // A trailing backslash escapes nothing and leaves the string open.
    REQUIRE(parse_error(R"(labels["a"] == "b\)") ==
            "selector:1:16: unterminated string; the quote here is never closed\n"
            "  labels[\"a\"] == \"b\\\n"
            "                 ^");
}

// ---- Strings and escapes ----------------------------------------------------

TEST_CASE("strings resolve the escapes \\\" \\\\ \\n and \\t", "[selector]") {
    Fleet fleet{{
        {"quote", {{"v", "a\"b"}}, {}, {}},
        {"backslash", {{"v", "a\\b"}}, {}, {}},
        {"newline", {{"v", "a\nb"}}, {}, {}},
        {"tab", {{"v", "a\tb"}}, {}, {}},
    }};
    REQUIRE(fleet.matching(R"(labels["v"] == "a\"b")") == Ids{"quote"});
    REQUIRE(fleet.matching(R"(labels["v"] == "a\\b")") == Ids{"backslash"});
    REQUIRE(fleet.matching(R"(labels["v"] == "a\nb")") == Ids{"newline"});
    REQUIRE(fleet.matching(R"(labels["v"] == "a\tb")") == Ids{"tab"});
}

TEST_CASE("other escapes are refused at the backslash", "[selector]") {
    REQUIRE(parse_error(R"(labels["v"] == "a\qb")") ==
            "selector:1:18: unknown escape '\\q'; strings allow \\\" \\\\ \\n and \\t\n"
            "  labels[\"v\"] == \"a\\qb\"\n"
            "                   ^");
}

TEST_CASE("raw control characters inside a string are refused", "[selector]") {
    REQUIRE(parse_error("labels[\"v\"] == \"a\tb\"") ==
            "selector:1:18: control character U+0009 in string; write \\n or \\t for "
            "line breaks and tabs\n"
            "  labels[\"v\"] == \"a b\"\n"
            "                   ^");
}

TEST_CASE("single quotes are not string delimiters", "[selector]") {
    REQUIRE(parse_error("labels['v'] == 'x'") ==
            "selector:1:8: strings take double quotes, not single quotes\n"
            "  labels['v'] == 'x'\n"
            "         ^");
}

// ---- Id lists ---------------------------------------------------------------

TEST_CASE("a bare id or a comma list selects agents by id", "[selector]") {
    Fleet fleet = c06_fleet();
    REQUIRE(fleet.matching("agent-3") == Ids{"agent-3"});
    REQUIRE(fleet.matching("agent-1,agent-2,agent-3") == Ids{"agent-1", "agent-2", "agent-3"});
    REQUIRE(fleet.matching("a , b") == Ids{"a", "b"});
    REQUIRE(fleet.matching("agent-9").empty());
}

TEST_CASE("an id list reports its ids in order without duplicates", "[selector]") {
    auto selector = Selector::parse(" agent-2 ,agent-1,\tagent-2 , agent-1 ");
    REQUIRE(selector.ok());
    REQUIRE(selector->is_id_list());
    REQUIRE(selector->ids() == Ids{"agent-2", "agent-1"});
    REQUIRE_FALSE(selector->is_all());

    REQUIRE(Selector::parse("10.0.0.7")->ids() == Ids{"10.0.0.7"});
    REQUIRE(Selector::parse("(web_1)")->ids() == Ids{"web_1"});
}

TEST_CASE("expressions and negated id lists are not id lists", "[selector]") {
    for (auto text : {"not agent-1", "agent-1 or agent-2", "all", R"("a" in groups)"}) {
        auto selector = Selector::parse(text);
        REQUIRE(selector.ok());
        REQUIRE_FALSE(selector->is_id_list());
        REQUIRE(selector->ids().empty());
    }
}

TEST_CASE("an id list is one term inside a larger expression", "[selector]") {
    Fleet fleet = c05_fleet();
    REQUIRE(fleet.matching(R"(agent-1,agent-2,agent-4 and labels["env"] == "prod")") ==
            Ids{"agent-1", "agent-4"});
    REQUIRE(fleet.matching(R"(agent-1 or agent-3)") == Ids{"agent-1", "agent-3"});
    REQUIRE(fleet.matching(R"(not agent-1,agent-2)") == Ids{"agent-3", "agent-4"});
}

TEST_CASE("keywords cannot be used as ids in a list", "[selector]") {
    REQUIRE(parse_error("agent-1,all") ==
            "selector:1:9: expected an agent id after ',', found 'all'\n"
            "  agent-1,all\n"
            "          ^");
    REQUIRE(parse_error("agent-1,") ==
            "selector:1:9: expected an agent id after ',', found end of selector\n"
            "  agent-1,\n"
            "          ^");
}

TEST_CASE("ids separated by spaces instead of commas are refused", "[selector]") {
    REQUIRE(parse_error("agent-1 agent-2") ==
            "selector:1:9: expected 'and', 'or' or end of selector, found 'agent-2'\n"
            "  agent-1 agent-2\n"
            "          ^");
}

// ---- Errors -----------------------------------------------------------------

TEST_CASE("errors explain common slips", "[selector]") {
    SECTION("a label name without labels[...]") {
        REQUIRE(parse_error(R"(env == "prod")") ==
                "selector:1:5: unexpected '==' after the agent id 'env'; to compare a "
                "label write labels[\"env\"]\n"
                "  env == \"prod\"\n"
                "      ^");
    }
    SECTION("an unquoted value") {
        REQUIRE(parse_error(R"(labels["env"] == prod)") ==
                "selector:1:18: expected a quoted value after '==', found 'prod'; "
                "write \"prod\"\n"
                "  labels[\"env\"] == prod\n"
                "                   ^");
    }
    SECTION("an unquoted name") {
        REQUIRE(parse_error(R"(labels[env] == "prod")") ==
                "selector:1:8: expected a quoted name after 'labels[', found 'env'; "
                "write labels[\"env\"]\n"
                "  labels[env] == \"prod\"\n"
                "         ^");
    }
    SECTION("a single '='") {
        REQUIRE(parse_error(R"(labels["env"] = "prod")") ==
                "selector:1:15: unexpected '='; compare with '=='\n"
                "  labels[\"env\"] = \"prod\"\n"
                "                ^");
    }
    SECTION("&& for and") {
        REQUIRE(parse_error(R"(a && b)") ==
                "selector:1:3: unexpected '&'; write 'and'\n"
                "  a && b\n"
                "    ^");
    }
    SECTION("a missing closing parenthesis") {
        REQUIRE(parse_error(R"(("a" in groups or b)") ==
                "selector:1:20: expected ')' to close the '(' at column 1, "
                "found end of selector\n"
                "  (\"a\" in groups or b\n"
                "                     ^");
    }
    SECTION("an unmatched closing parenthesis") {
        REQUIRE(parse_error("a)") ==
                "selector:1:2: unmatched ')'\n"
                "  a)\n"
                "   ^");
    }
    SECTION("a dangling operator") {
        REQUIRE(parse_error("a and") ==
                "selector:1:6: expected an agent id, all, labels[...], system[...], "
                "\"...\" in groups, not or '(', found end of selector\n"
                "  a and\n"
                "       ^");
    }
    SECTION("a string that is not followed by in") {
        REQUIRE(parse_error(R"("web")") ==
                "selector:1:6: expected 'in groups' or 'in labels' after the string "
                "\"web\", found end of selector\n"
                "  \"web\"\n"
                "       ^");
    }
    SECTION("typographic quotes pasted from a document") {
        REQUIRE(parse_error("labels[“env”] == \"prod\"") ==
                "selector:1:8: unexpected typographic quote; use a straight '\"'\n"
                "  labels[“env”] == \"prod\"\n"
                "         ^");
    }
    SECTION("an empty label name") {
        REQUIRE(parse_error(R"(labels[""] == "x")") ==
                "selector:1:8: empty label name\n"
                "  labels[\"\"] == \"x\"\n"
                "         ^");
    }
}

TEST_CASE("the caret column counts UTF-8 code points, not bytes", "[selector]") {
    REQUIRE(parse_error(R"(labels["city"] == "Zürich" = x)") ==
            "selector:1:28: unexpected '='; compare with '=='\n"
            "  labels[\"city\"] == \"Zürich\" = x\n"
            "                             ^");
    REQUIRE(parse_error("€ x") ==
            "selector:1:1: unexpected character '€'\n"
            "  € x\n"
            "  ^");
}

TEST_CASE("NUL bytes and invalid UTF-8 are refused at their column", "[selector]") {
    using namespace std::string_literals;
    REQUIRE(parse_error("labels[\"a\"] == \"b\0c\""s) ==
            "selector:1:18: NUL byte in selector\n"
            "  labels[\"a\"] == \"b?c\"\n"
            "                   ^");
    REQUIRE(parse_error("a and \0"s) ==
            "selector:1:7: NUL byte in selector\n"
            "  a and ?\n"
            "        ^");
    REQUIRE(parse_error("labels[\"a\"] == \"Z\xFCrich\"") ==
            "selector:1:18: invalid UTF-8 in selector (byte 0xFC)\n"
            "  labels[\"a\"] == \"Z?rich\"\n"
            "                   ^");
    // An overlong encoding of '"' must not close the string.
    REQUIRE(parse_error("\"\xC0\xA2\" in groups") ==
            "selector:1:2: invalid UTF-8 in selector (byte 0xC0)\n"
            "  \"??\" in groups\n"
            "   ^");
}

TEST_CASE("bidirectional controls are not echoed raw in errors", "[selector]") {
    REQUIRE(parse_error("a \u202E b") ==
            "selector:1:3: unexpected control character U+202E\n"
            "  a ? b\n"
            "    ^");
}

// ---- Hostile input ----------------------------------------------------------

TEST_CASE("nesting is limited to 256 levels of parentheses and not", "[selector]") {
    std::string ok = std::string(256, '(') + "all" + std::string(256, ')');
    REQUIRE(Selector::parse(ok).ok());

    std::string deep = std::string(10'000, '(') + "all" + std::string(10'000, ')');
    std::string message = parse_error(deep);
    REQUIRE(message.substr(0, message.find('\n')) ==
            "selector:1:257: nested deeper than 256 levels of parentheses and 'not'; "
            "simplify the selector");

    std::string nots;
    for (int i = 0; i < 10'000; ++i) nots += "not ";
    message = parse_error(nots + "all");
    REQUIRE(message.substr(0, message.find('\n')) ==
            "selector:1:1025: nested deeper than 256 levels of parentheses and 'not'; "
            "simplify the selector");
}

TEST_CASE("long inputs are echoed as a window around the column", "[selector]") {
    std::string text = std::string(300, 'a') + " =";
    REQUIRE(parse_error(text) ==
            "selector:1:302: unexpected '='; compare with '=='\n"
            "  ..." + std::string(98, 'a') + " =\n"
            "  " + std::string(102, ' ') + "^");

    text = "= " + std::string(300, 'a');
    REQUIRE(parse_error(text) ==
            "selector:1:1: unexpected '='; compare with '=='\n"
            "  = " + std::string(98, 'a') + "...\n"
            "  ^");
}

TEST_CASE("a megabyte of input parses or fails cleanly", "[selector]") {
    SECTION("a 100,000-id list") {
        std::string text;
        for (int i = 0; i < 100'000; ++i) text += "agent-" + std::to_string(i) + ",";
        text += "agent-0";
        auto selector = Selector::parse(text);
        REQUIRE(selector.ok());
        REQUIRE(selector->ids().size() == 100'000);
        Fleet fleet{{{"agent-99999", {}, {}, {}}, {"agent-100000", {}, {}, {}}}};
        REQUIRE(fleet.matching(text) == Ids{"agent-99999"});
    }
    SECTION("a long or chain") {
        std::string text = R"("g0" in groups)";
        for (int i = 1; i < 50'000; ++i) text += R"( or "g)" + std::to_string(i) + R"(" in groups)";
        Fleet fleet{{{"x", {}, {"g49999"}, {}}, {"y", {}, {"h"}, {}}}};
        REQUIRE(fleet.matching(text) == Ids{"x"});
    }
    SECTION("a megabyte value") {
        std::string value(1 << 20, 'v');
        Fleet fleet{{{"x", {{"k", value}}, {}, {}}}};
        REQUIRE(fleet.matching(R"(labels["k"] == ")" + value + "\"") == Ids{"x"});
    }
    SECTION("a megabyte of garbage") {
        std::string message = parse_error(std::string(1 << 20, '{'));
        REQUIRE(message.substr(0, message.find('\n')) ==
                "selector:1:1: unexpected character '{'");
        REQUIRE(message.size() < 300);
    }
    SECTION("a megabyte unterminated string") {
        std::string message = parse_error("\"" + std::string(1 << 20, 'x'));
        REQUIRE(message.substr(0, message.find('\n')) ==
                "selector:1:1: unterminated string; the quote here is never closed");
    }
}

// ---- Value semantics --------------------------------------------------------

TEST_CASE("a default-constructed selector matches nothing", "[selector]") {
    Selector selector;
    TestAgent agent{"agent-1", {}, {}, {}};
    REQUIRE_FALSE(selector.matches(agent.view()));
    REQUIRE(selector.text().empty());
    REQUIRE_FALSE(selector.is_all());
    REQUIRE_FALSE(selector.is_id_list());
}

TEST_CASE("copies share the program and keep the original text", "[selector]") {
    auto parsed = Selector::parse(R"(  "web" in groups )");
    REQUIRE(parsed.ok());
    Selector copy = *parsed;
    Selector moved = std::move(*parsed);
    REQUIRE(copy.text() == R"(  "web" in groups )");
    TestAgent agent{"agent-1", {}, {"web"}, {}};
    REQUIRE(copy.matches(agent.view()));
    REQUIRE(moved.matches(agent.view()));
}

TEST_CASE("one selector can be matched from many threads at once", "[selector]") {
    auto selector = Selector::parse(R"(labels["env"] == "prod" and "web" in groups)");
    REQUIRE(selector.ok());
    Fleet fleet = c05_fleet();
    std::atomic<int> matched{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int round = 0; round < 1000; ++round)
                for (const auto& agent : fleet.agents)
                    if (selector->matches(agent.view())) ++matched;
        });
    for (auto& thread : threads) thread.join();
    REQUIRE(matched == 4 * 1000);
}
