// The parsers of single setting values (labels, group lists, agent ids),
// which the file, the environment and the agent's flags all go through.
#include "oasis/config.h"

#include <catch2/catch.hpp>

namespace oasis {

TEST_CASE("parse_labels reads key=value lists", "[config]") {
    auto labels = [](std::string_view text) {
        Result<StringMap> result = parse_labels(text);
        REQUIRE(result.ok());
        return *result;
    };
    auto problem = [](std::string_view text) {
        Result<StringMap> result = parse_labels(text);
        REQUIRE_FALSE(result.ok());
        CHECK(result.status().code() == Code::invalid_argument);
        return result.status().message();
    };

    CHECK(labels("").empty());
    CHECK(labels("  ").empty());
    CHECK(labels("env=prod,role=web") ==
          StringMap{{"env", "prod"}, {"role", "web"}});
    CHECK(labels(" env = prod , role=web ") ==
          StringMap{{"env", "prod"}, {"role", "web"}});
    CHECK(labels("note=two words") == StringMap{{"note", "two words"}});
    CHECK(labels("expr=a=b") == StringMap{{"expr", "a=b"}});
    CHECK(labels("k8s.io/zone=b") == StringMap{{"k8s.io/zone", "b"}});
    CHECK(labels("city=Zürich") == StringMap{{"city", "Zürich"}});

    CHECK(problem("=v") == "label \"=v\" has an empty key");
    CHECK(problem("k=") == "label \"k=\" has an empty value");
    CHECK(problem("k") == "label \"k\" is not key=value");
    CHECK(problem("a=1,,b=2") == "label 2 of 3 is empty");
    CHECK(problem("a=1,") == "label 2 of 2 is empty");
    CHECK(problem("env=prod,env=dev") == "label key \"env\" appears twice");
    CHECK(problem("a b=c") ==
          "label key \"a b\" must be 1 to 63 characters of A-Z a-z 0-9 . _ / -");
    CHECK(problem(std::string(64, 'k') + "=v") ==
          "label key \"" + std::string(64, 'k') +
                  "\" must be 1 to 63 characters of A-Z a-z 0-9 . _ / -");
    CHECK(problem("k=" + std::string(256, 'v')) ==
          "label \"k\" value must be at most 255 bytes of UTF-8 without "
          "control characters, got \"" +
                  std::string(64, 'v') + "...\"");
    CHECK(problem("k=a\tb") ==
          "label \"k\" value must be at most 255 bytes of UTF-8 without "
          "control characters, got \"a\\x09b\"");
    CHECK(problem("k=\xc3") ==
          "label \"k\" value must be at most 255 bytes of UTF-8 without "
          "control characters, got \"\\xc3\"");
    CHECK(problem("=,x") ==
          "label \"=\" has an empty key; label \"=\" has an empty value; "
          "label \"x\" is not key=value");
}

TEST_CASE("parse_list reads group lists", "[config]") {
    Result<std::vector<std::string>> groups = parse_list(" prod , web,canary");
    REQUIRE(groups.ok());
    CHECK(*groups == std::vector<std::string>{"prod", "web", "canary"});

    CHECK(parse_list("")->empty());
    CHECK(parse_list("prod,,web").status().message() ==
          "group 2 of 3 is empty");
    CHECK(parse_list(",").status().message() ==
          "group 1 of 2 is empty; group 2 of 2 is empty");
    CHECK(parse_list("web,web").status().message() ==
          "group \"web\" appears twice");
    CHECK(parse_list("a:b").status().message() ==
          "group \"a:b\" must be 1 to 63 characters of A-Z a-z 0-9 . _ / -");
}

TEST_CASE("agent ids are short names without a leading dot or dash",
          "[config]") {
    CHECK(is_valid_agent_id("web-01"));
    CHECK(is_valid_agent_id("node_7.dc1"));
    CHECK(is_valid_agent_id(std::string(64, 'a')));
    CHECK_FALSE(is_valid_agent_id(""));
    CHECK_FALSE(is_valid_agent_id(std::string(65, 'a')));
    CHECK_FALSE(is_valid_agent_id(".hidden"));
    CHECK_FALSE(is_valid_agent_id("-flag"));
    CHECK_FALSE(is_valid_agent_id("a b"));
    CHECK_FALSE(is_valid_agent_id("a/b"));
    CHECK_FALSE(is_valid_agent_id("a*"));
    // A dot separates NATS subject tokens: none may be empty.
    CHECK_FALSE(is_valid_agent_id("web."));
    CHECK_FALSE(is_valid_agent_id("a..b"));
    CHECK(is_valid_agent_id("a.b.c"));
}

}  // namespace oasis
