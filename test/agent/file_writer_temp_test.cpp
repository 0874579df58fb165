// write_file and its temp file: what a failure leaves (nothing), what an
// earlier killed write left (removed), and writes racing for one file.
#include "agent/file_writer.h"

#include "file_writer_fixture.h"
#include "oasis/log.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>
#include <vector>

using namespace oasis;
using namespace oasis::agent;
using namespace oasis::test;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

namespace {

// A scratch directory holding app.conf with "old\n", and what it was.
struct OldFile {
    Scratch s;
    ino_t inode = 0;

    OldFile() {
        s.put("app.conf", "old\n");
        inode = s.stat_of("app.conf").st_ino;
    }
    std::string dest() const { return s.path("app.conf"); }
    std::string temp_prefix() const { return s.path(".app.conf.oasis-tmp-"); }

    // The destination as it was, and no temp file left beside it.
    void check_untouched() const {
        CHECK(s.names() == std::set<std::string>{"app.conf"});
        CHECK(s.read("app.conf") == "old\n");
        CHECK(s.stat_of("app.conf").st_ino == inode);
    }
};

}  // namespace

TEST_CASE("write_file streams into a private temp file beside the destination", "[file_writer]") {
    OldFile f;
    std::string seen;
    auto fetch = [&](const ContentSink& sink) -> Status {
        for (const auto& e : fs::directory_iterator(f.s.dir())) {
            struct stat st = f.s.stat_of(e.path().filename());
            if (e.path() != f.dest()) seen = e.path().string() + " " + format_mode(st.st_mode);
        }
        return sink("new\n");
    };
    REQUIRE(message_of(write_file(target_for(f.dest(), "new\n"), fetch)) == "ok");
    CHECK_THAT(seen, StartsWith(f.temp_prefix()) && EndsWith(" 0600"));
    CHECK(seen.size() == f.temp_prefix().size() + 12 + 5);
    CHECK(f.s.read("app.conf") == "new\n");
}

TEST_CASE("write_file removes its temp file when the content is not as expected", "[file_writer]") {
    OldFile f;
    FileTarget t = target_for(f.dest(), "new!\n");
    ContentFetcher fetch = serve("new!\n");
    Code code = Code::data_loss;
    std::string expected;
    SECTION("the fetch fails midway") {
        fetch = [](const ContentSink& sink) -> Status {
            OASIS_RETURN_IF_ERROR(sink("ne"));
            return error(Code::unavailable, "object store unreachable");
        };
        code = Code::unavailable;
        expected = "cannot fetch the content of " + f.dest() + ": object store unreachable";
    }
    SECTION("too short") {
        fetch = serve("new\n");
        expected = "the content of " + f.dest() + " is 4 bytes, expected 5";
    }
    SECTION("too long, even when the fetcher ignores the sink's error") {
        fetch = [](const ContentSink& sink) {
            (void)sink("new!\n");
            (void)sink("more");
            return Status{};
        };
        expected = "the content of " + f.dest() + " is longer than the 5 bytes expected";
    }
    SECTION("another digest") {
        fetch = serve("NEW!\n");
        expected = "the content of " + f.dest() + " has SHA-256 " + sha_hex("NEW!\n") +
                   ", expected " + sha_hex("new!\n");
    }

    auto r = write_file(t, fetch);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == code);
    CHECK(r.status().message() == expected);
    f.check_untouched();
}

TEST_CASE("write_file reports a failed chown with the owner and its ids", "[file_writer]") {
    OldFile f;
    REQUIRE(::chmod(f.s.dir().c_str(), 0777) == 0);
    std::string got = in_child([&] {
        // As root, become an ordinary user who may not give files to root.
        if (::geteuid() == 0 &&
            (::setgroups(0, nullptr) != 0 || ::setgid(4242) != 0 || ::setuid(4242) != 0))
            return std::string("cannot drop privileges");
        FileTarget t = target_for(f.dest(), "new\n");
        t.owner = *parse_owner("root:root");
        auto r = write_file(t, serve("new\n"));
        return r.ok() ? "ok"
                      : std::string(code_name(r.status().code())) + " " + r.status().message();
    });

    CHECK(got == "permission_denied cannot set owner root:root (uid 0, gid 0) of " + f.dest() +
                     " (this agent runs as uid " +
                     std::to_string(::geteuid() == 0 ? 4242 : ::geteuid()) +
                     ", which may give files only to itself and "
                     "its own groups): Operation not permitted");
    f.check_untouched();
}

TEST_CASE("write_file reports a failed write and keeps the destination", "[file_writer]") {
    OldFile f;
    std::string content = pattern(1024 * 1024);
    std::string got = in_child([&] {
        // A file size limit fails the write as a full disk would (EFBIG, not ENOSPC).
        struct rlimit limit {
            64 * 1024, 64 * 1024
        };
        ::signal(SIGXFSZ, SIG_IGN);
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return std::string("cannot set the limit");
        return message_of(write_file(target_for(f.dest(), content), serve(content)));
    });

    CHECK_THAT(got, StartsWith("cannot write " + f.temp_prefix()) && EndsWith(": File too large"));
    f.check_untouched();
}

TEST_CASE("write_file refuses a destination that became a directory while it fetched",
          "[file_writer]") {
    Scratch s;
    std::string dest = s.path("app.conf");
    auto fetch = [&](const ContentSink& sink) -> Status {
        fs::create_directory(dest);
        return sink("new\n");
    };

    auto r = write_file(target_for(dest, "new\n"), fetch);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == dest + " is a directory");
    CHECK(s.names() == std::set<std::string>{"app.conf"});
    CHECK(fs::is_directory(dest));
}

TEST_CASE("write_file removes stale temp files of its destination only", "[file_writer]") {
    Scratch s, elsewhere;
    elsewhere.put("target", "keep\n");
    s.put(".app.conf.oasis-tmp-OLD123OLD123", "half a file");
    s.put(".app.conf.oasis-tmp-held", "a write in progress");
    s.put(".other.conf.oasis-tmp-x", "");
    s.put("app.conf.oasis-tmp-x", "");
    s.put(".app.conf.oasis-tmpx", "");
    s.put(".app.conf.bak", "");
    fs::create_directory(s.path(".app.conf.oasis-tmp-dir"));
    REQUIRE(::symlink(elsewhere.path("target").c_str(),
                      s.path(".app.conf.oasis-tmp-link").c_str()) == 0);
    // A live writer holds a lock on its temp file.
    int held = ::open(s.path(".app.conf.oasis-tmp-held").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(::flock(held, LOCK_EX) == 0);

    std::vector<std::string> logged;
    log::set_sink_for_testing({[&](std::string_view line) { logged.emplace_back(line); }});
    auto r = write_file(target_for(s.path("app.conf"), "new\n"), serve("new\n"));
    log::set_sink_for_testing({});
    ::close(held);
    REQUIRE(message_of(r) == "ok");
    REQUIRE(logged.size() == 1);
    CHECK_THAT(logged[0], EndsWith("file stale_temp.removed path=" +
                                   s.path(".app.conf.oasis-tmp-OLD123OLD123")));
    CHECK(s.names() ==
          std::set<std::string>{"app.conf", ".app.conf.oasis-tmp-held", ".other.conf.oasis-tmp-x",
                                "app.conf.oasis-tmp-x", ".app.conf.oasis-tmpx", ".app.conf.bak",
                                ".app.conf.oasis-tmp-dir", ".app.conf.oasis-tmp-link"});
    CHECK(elsewhere.read("target") == "keep\n");
}

TEST_CASE("write_file leaves another writer's temp file alone: the last rename wins",
          "[file_writer]") {
    Scratch s;
    std::string dest = s.path("app.conf");
    Result<WriteOutcome> inner = error(Code::internal, "not run");
    auto fetch = [&](const ContentSink& sink) -> Status {
        OASIS_RETURN_IF_ERROR(sink("outer, "));
        inner = write_file(target_for(dest, "inner\n"), serve("inner\n"));
        return sink("whole\n");
    };

    auto outer = write_file(target_for(dest, "outer, whole\n"), fetch);
    CHECK(message_of(inner) == "ok");
    CHECK(message_of(outer) == "ok");
    CHECK(s.read("app.conf") == "outer, whole\n");
    CHECK(s.names() == std::set<std::string>{"app.conf"});
}

TEST_CASE("write_file keeps each of two concurrent writes to one file whole", "[file_writer]") {
    Scratch s;
    std::string dest = s.path("app.conf");
    const std::string a = pattern(200 * 1024), b = std::string(200 * 1024, 'b');
    FileTarget ta = target_for(dest, a), tb = target_for(dest, b);
    std::vector<std::string> results_a, results_b;
    auto run = [](const FileTarget& t, const std::string& content, std::vector<std::string>& out) {
        for (int i = 0; i < 20; ++i) out.push_back(message_of(write_file(t, serve(content))));
    };

    std::thread first(run, std::cref(ta), std::cref(a), std::ref(results_a));
    std::thread second(run, std::cref(tb), std::cref(b), std::ref(results_b));
    first.join();
    second.join();
    CHECK(results_a == std::vector<std::string>(20, "ok"));
    CHECK(results_b == std::vector<std::string>(20, "ok"));
    std::string final_content = s.read("app.conf");
    CHECK((final_content == a || final_content == b));
    CHECK(s.names() == std::set<std::string>{"app.conf"});
}

TEST_CASE("write_file writes a file whose name leaves no room for a full temp name",
          "[file_writer]") {
    Scratch s;
    std::string name(250, 'n');
    auto r = write_file(target_for(s.path(name), "x"), serve("x"));
    REQUIRE(message_of(r) == "ok");
    CHECK(s.names() == std::set<std::string>{name});
}
