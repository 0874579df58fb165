#include "agent/file_writer.h"

#include "file_writer_fixture.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>

using namespace oasis;
using namespace oasis::agent;
using namespace oasis::test;

TEST_CASE("write_file writes exactly the bytes it is given", "[file_writer]") {
    Scratch s;
    std::string content;
    std::size_t chunk = 4096;
    SECTION("no trailing newline") {
        content = "key = value";
    }
    SECTION("CRLF line ends") {
        content = "a = 1\r\nb = 2\r\n";
    }
    SECTION("NUL bytes") {
        content = std::string("\0a\0\0b\0", 6);
    }
    SECTION("empty") {
        content = "";
    }
    SECTION("large, in odd chunks") {
        content = pattern(3 * 1024 * 1024 + 7);
        chunk = 1000;
    }

    auto r = write_file(target_for(s.path("app.conf"), content), serve(content, nullptr, chunk));
    REQUIRE(message_of(r) == "ok");
    CHECK(*r == WriteOutcome::written);
    CHECK(s.read("app.conf") == content);
    CHECK((s.stat_of("app.conf").st_mode & 07777) == 0644);
    CHECK(s.stat_of("app.conf").st_uid == ::geteuid());
    CHECK(s.names() == std::set<std::string>{"app.conf"});
}

TEST_CASE("write_file accepts empty content handed as an empty chunk", "[file_writer]") {
    Scratch s;
    auto r = write_file(target_for(s.path("empty"), ""),
                        [](const ContentSink& sink) { return sink(""); });
    REQUIRE(message_of(r) == "ok");
    CHECK(s.read("empty").empty());
}

TEST_CASE("write_file streams each chunk to disk as it arrives", "[file_writer]") {
    Scratch s;
    std::string content = pattern(6 * 1024 * 1024);
    constexpr std::size_t kChunk = 128 * 1024;
    std::size_t handed = 0;
    bool on_disk_as_handed = true;
    auto fetch = [&](const ContentSink& sink) -> Status {
        for (; handed < content.size(); handed += kChunk) {
            OASIS_RETURN_IF_ERROR(sink(std::string_view(content).substr(handed, kChunk)));
            std::uintmax_t temp_size = 0;
            for (const auto& e : fs::directory_iterator(s.dir())) temp_size = e.file_size();
            on_disk_as_handed = on_disk_as_handed && temp_size == handed + kChunk;
        }
        return {};
    };

    auto r = write_file(target_for(s.path("big.bin"), content), fetch);
    REQUIRE(message_of(r) == "ok");
    CHECK(on_disk_as_handed);
    CHECK(s.read("big.bin") == content);
}

TEST_CASE("write_file applies modes exactly", "[file_writer]") {
    Scratch s;
    unsigned mode = GENERATE(0644u, 0600u, 02755u);
    FileTarget t = target_for(s.path("tool"), "#!/bin/sh\n");
    t.mode = mode;
    // Setgid must survive the chown that comes before the chmod.
    if (::geteuid() == 0) t.owner = *parse_owner("4242:4242");

    auto r = write_file(t, serve("#!/bin/sh\n"));
    REQUIRE(message_of(r) == "ok");
    CHECK((s.stat_of("tool").st_mode & 07777) == mode);
}

TEST_CASE("write_file sets numeric and named owners", "[file_writer]") {
    if (!is_root()) return;
    Scratch s;
    FileTarget t = target_for(s.path("app.conf"), "x");
    t.owner = *parse_owner("4242:4242");
    REQUIRE(message_of(write_file(t, serve("x"))) == "ok");
    CHECK(s.stat_of("app.conf").st_uid == 4242);
    CHECK(s.stat_of("app.conf").st_gid == 4242);

    t.owner = *parse_owner("root:root");
    auto r = write_file(t, serve("x"));
    REQUIRE(message_of(r) == "ok");
    CHECK(*r == WriteOutcome::written);
    CHECK(s.stat_of("app.conf").st_uid == 0);
    CHECK(s.stat_of("app.conf").st_gid == 0);
}

TEST_CASE("write_file keeps an existing file's mode and owner when none is given",
          "[file_writer]") {
    Scratch s;
    s.put("app.conf", "old\n");
    ::chmod(s.path("app.conf").c_str(), 0640);
    bool root = is_root();
    if (root) REQUIRE(::chown(s.path("app.conf").c_str(), 4242, 4243) == 0);
    ino_t old_inode = s.stat_of("app.conf").st_ino;

    REQUIRE(message_of(write_file(target_for(s.path("app.conf"), "new\n"), serve("new\n"))) ==
            "ok");
    struct stat st = s.stat_of("app.conf");
    CHECK(s.read("app.conf") == "new\n");
    CHECK(st.st_ino != old_inode);
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(st.st_uid == (root ? 4242 : ::geteuid()));
    if (root) CHECK(st.st_gid == 4243);
}

TEST_CASE("write_file leaves a file that already matches alone", "[file_writer]") {
    Scratch s;
    s.put("app.conf", "same\n");
    ::chmod(s.path("app.conf").c_str(), 0640);
    struct stat before = s.stat_of("app.conf");
    FileTarget t = target_for(s.path("app.conf"), "same\n");
    SECTION("nothing else asked") {}
    SECTION("the same mode asked") {
        t.mode = 0640;
    }
    SECTION("the same owner asked, by id") {
        t.owner = *parse_owner(std::to_string(before.st_uid) + ":" + std::to_string(before.st_gid));
    }

    int calls = 0;
    auto r = write_file(t, serve("same\n", &calls));
    REQUIRE(message_of(r) == "ok");
    CHECK(*r == WriteOutcome::unchanged);
    CHECK(calls == 0);
    struct stat after = s.stat_of("app.conf");
    CHECK(after.st_ino == before.st_ino);
    CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
    CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
}

TEST_CASE("write_file rewrites a file that differs in content or mode only", "[file_writer]") {
    Scratch s;
    s.put("app.conf", "same\n");
    ::chmod(s.path("app.conf").c_str(), 0640);
    ino_t old_inode = s.stat_of("app.conf").st_ino;
    FileTarget t = target_for(s.path("app.conf"), "same\n");
    std::string content = "same\n";
    SECTION("another mode") {
        t.mode = 0600;
    }
    SECTION("other bytes of the same size") {
        content = "SAME\n";
        t = target_for(s.path("app.conf"), content);
    }

    int calls = 0;
    auto r = write_file(t, serve(content, &calls));
    REQUIRE(message_of(r) == "ok");
    CHECK(*r == WriteOutcome::written);
    CHECK(calls == 1);
    CHECK(s.stat_of("app.conf").st_ino != old_inode);
    CHECK(s.read("app.conf") == content);
}

TEST_CASE("write_file refuses an unknown user or group before fetching", "[file_writer]") {
    Scratch s;
    FileTarget t = target_for(s.path("app.conf"), "x");
    std::string expected;
    SECTION("user") {
        t.owner = *parse_owner("oasis-no-such-user-xyz:root");
        expected = "unknown user \"oasis-no-such-user-xyz\" on this node";
    }
    SECTION("group") {
        t.owner = *parse_owner("root:oasis-no-such-group-xyz");
        expected = "unknown group \"oasis-no-such-group-xyz\" on this node";
    }

    int calls = 0;
    auto r = write_file(t, serve("x", &calls));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::not_found);
    CHECK(r.status().message() == expected);
    CHECK(calls == 0);
    CHECK(s.names().empty());
}

TEST_CASE("write_file refuses what it must not write over", "[file_writer]") {
    Scratch s;
    std::string dest = s.path("app.conf");
    std::string expected;
    SECTION("a directory") {
        fs::create_directory(dest);
        expected = dest + " is a directory";
    }
    SECTION("a symbolic link") {
        s.put("real.conf", "real\n");
        REQUIRE(::symlink("real.conf", dest.c_str()) == 0);
        expected = dest +
                   " is a symbolic link (to real.conf); Oasis does not write through "
                   "or over symlinks: give the real path";
    }
    SECTION("a dangling symbolic link, named on one line") {
        REQUIRE(::symlink("gone\nfile", dest.c_str()) == 0);
        expected = dest +
                   " is a symbolic link (to gone?file); Oasis does not write through "
                   "or over symlinks: give the real path";
    }
    SECTION("a fifo") {
        REQUIRE(::mkfifo(dest.c_str(), 0600) == 0);
        expected = dest + " is a fifo; Oasis writes only regular files";
    }
    SECTION("a socket") {
        REQUIRE(::mknod(dest.c_str(), S_IFSOCK | 0600, 0) == 0);
        expected = dest + " is a socket; Oasis writes only regular files";
    }
    SECTION("a device") {
        if (!is_root()) return;
        REQUIRE(::mknod(dest.c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0);
        expected = dest + " is a character device; Oasis writes only regular files";
    }
    auto before = s.names();

    int calls = 0;
    auto r = write_file(target_for(dest, "x"), serve("x", &calls));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::invalid_argument);
    CHECK(r.status().message() == expected);
    CHECK(calls == 0);
    CHECK(s.names() == before);
    if (before.count("real.conf")) CHECK(s.read("real.conf") == "real\n");
}

TEST_CASE("write_file refuses a relative or missing-directory destination", "[file_writer]") {
    Scratch s;
    int calls = 0;
    auto relative = write_file(target_for("etc/app.conf", "x"), serve("x", &calls));
    REQUIRE_FALSE(relative.ok());
    CHECK(relative.status().code() == Code::invalid_argument);
    CHECK_THAT(relative.status().message(), Catch::Contains("is not absolute"));

    auto missing = write_file(target_for(s.path("no/such/app.conf"), "x"), serve("x", &calls));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == Code::not_found);
    CHECK(missing.status().message() ==
          "directory " + s.path("no/such") + " does not exist; Oasis does not create directories");
    CHECK(calls == 0);
    CHECK(s.names().empty());
}

TEST_CASE("write_file refuses a bad digest or mode in the target", "[file_writer]") {
    Scratch s;
    FileTarget t = target_for(s.path("app.conf"), "x");
    SECTION("digest") {
        t.sha256_hex = "ABC";
    }
    SECTION("mode") {
        t.mode = 010000;
    }
    int calls = 0;
    auto r = write_file(t, serve("x", &calls));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::invalid_argument);
    CHECK(calls == 0);
}
