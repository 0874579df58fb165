#include "oasis/file_spec.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace oasis;
using Catch::Contains;

TEST_CASE("modes are octal whatever their prefix (C11)", "[file_spec]") {
    for (const char* m : {"0644", "644", "0o644", "0O644", "00644"}) {
        INFO(m);
        auto v = parse_mode(m);
        REQUIRE(v.ok());
        CHECK(*v == 0644);
        CHECK(format_mode(*v) == "0644");
    }
    CHECK(*parse_mode("2755") == 02755);  // setgid, never decimal 2755 = 05303
    CHECK(format_mode(*parse_mode("2755")) == "2755");
    CHECK(*parse_mode("0600") == 0600);
    CHECK(*parse_mode("7777") == 07777);
    CHECK(*parse_mode("0") == 0);
}

TEST_CASE("a mode that is not 1 to 4 octal digits is refused, naming the flag (C11)",
          "[file_spec]") {
    for (const std::string& m :
         std::vector<std::string>{"888", "8", "12345", "u=rw", "", "-1", " 644", "644 ", "0o",
                                  "0x1a4", "010000", "+644", "6\n44", std::string(10000, '7')}) {
        INFO(m);
        auto v = parse_mode(m);
        REQUIRE_FALSE(v.ok());
        CHECK(v.status().code() == Code::invalid_argument);
        CHECK_THAT(v.status().message(), Contains("--mode"));
        CHECK(v.status().message().size() < 200);
    }
}

TEST_CASE("owners are user:group, names or numeric ids (C12)", "[file_spec]") {
    auto o = parse_owner("appsvc:root");
    REQUIRE(o.ok());
    CHECK(o->user == "appsvc");
    CHECK(o->group == "root");
    CHECK_FALSE(o->uid);
    auto n = parse_owner("4242:4242");
    REQUIRE(n.ok());
    CHECK(n->uid == 4242u);
    CHECK(n->gid == 4242u);
    CHECK(n->user.empty());
    auto mixed = parse_owner("www-data:0");
    REQUIRE(mixed.ok());
    CHECK(mixed->user == "www-data");
    CHECK(mixed->gid == 0u);
}

TEST_CASE("an owner without both sides, or with a bad name, is refused (C12)", "[file_spec]") {
    for (const std::string& o : std::vector<std::string>{
             "root", ":root", "root:", ":", "", "-x:root", "ro ot:root", "root:wh:eel", "a/b:c",
             "99999999999:0", "4294967295:0", std::string(33, 'u') + ":g", "r\x1b[2J:root"}) {
        INFO(o);
        auto v = parse_owner(o);
        REQUIRE_FALSE(v.ok());
        CHECK(v.status().code() == Code::invalid_argument);
        CHECK_THAT(v.status().message(), Contains("--owner"));
        CHECK(v.status().message().find('\x1b') == std::string::npos);
    }
}

TEST_CASE("destinations are plain absolute file paths", "[file_spec]") {
    CHECK(check_destination("/etc/app/app.conf").ok());
    CHECK(check_destination("/a").ok());
    CHECK(check_destination("/etc/app/.hidden").ok());
    const std::vector<std::string> bad{"",
                                       "etc/app.conf",
                                       "./app.conf",
                                       "/etc/app/",
                                       "/etc//app.conf",
                                       "/etc/./app.conf",
                                       "/etc/../shadow",
                                       "/etc/app/..",
                                       "/",
                                       "/a\nb",
                                       std::string("/a\0b", 4),
                                       "/" + std::string(5000, 'a')};
    for (const std::string& d : bad) {
        INFO(d);
        auto st = check_destination(d);
        REQUIRE_FALSE(st.ok());
        CHECK(st.code() == Code::invalid_argument);
        CHECK_THAT(st.message(), Contains("--dest"));
    }
}

TEST_CASE("an owner has one spelling, whatever zeros were typed", "[file_spec]") {
    CHECK(format_owner(*parse_owner("01:001")) == "1:1");
    CHECK(format_owner(*parse_owner("1:1")) == "1:1");
    CHECK(format_owner(*parse_owner("root:0")) == "root:0");
    CHECK(format_owner(*parse_owner("app:web")) == "app:web");
}

TEST_CASE("a path check names where the path came from", "[file_spec]") {
    CHECK_THAT(check_destination("rel").message(), Catch::StartsWith("--dest: "));
    CHECK_THAT(check_destination("/a/../b", "source path").message(),
               Catch::StartsWith("source path: "));
}
