// Helpers for the write_file tests: a scratch directory, targets, fetchers,
// and a child process for tests that change the process itself.
#pragma once

#include "agent/file_writer.h"
#include "oasis/sha256.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

namespace oasis::test {

namespace fs = std::filesystem;

inline std::string sha_hex(std::string_view bytes) {
    Sha256 sha;
    sha.update(bytes);
    return *sha.finish_hex();
}

// `size` bytes of every value, in an order that differs from chunk to chunk.
inline std::string pattern(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
    return out;
}

// A directory of our own under the system temp directory, removed with
// everything in it.
class Scratch {
public:
    Scratch() {
        std::string name = (fs::temp_directory_path() / "oasis-writer-XXXXXX").string();
        REQUIRE(::mkdtemp(name.data()) != nullptr);
        dir_ = name;
    }
    ~Scratch() {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

    const std::string& dir() const { return dir_; }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }

    void put(const std::string& name, const std::string& bytes) const {
        std::ofstream(path(name), std::ios::binary) << bytes;
    }
    std::string read(const std::string& name) const {
        std::ifstream in(path(name), std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    struct stat stat_of(const std::string& name) const {
        struct stat st {};
        REQUIRE(::lstat(path(name).c_str(), &st) == 0);
        return st;
    }
    std::set<std::string> names() const {
        std::set<std::string> out;
        for (const auto& e : fs::directory_iterator(dir_)) out.insert(e.path().filename());
        return out;
    }

private:
    std::string dir_;
};

inline agent::FileTarget target_for(const std::string& dest, const std::string& content) {
    agent::FileTarget t;
    t.dest = dest;
    t.sha256_hex = sha_hex(content);
    t.size = content.size();
    return t;
}

// Hands `content` to the sink in chunks of `chunk` bytes; counts its calls.
inline agent::ContentFetcher serve(const std::string& content, int* calls = nullptr,
                                   std::size_t chunk = 4096) {
    return [=](const agent::ContentSink& sink) -> Status {
        if (calls) ++*calls;
        for (std::size_t at = 0; at < content.size(); at += chunk)
            OASIS_RETURN_IF_ERROR(sink(std::string_view(content).substr(at, chunk)));
        return {};
    };
}

inline std::string message_of(const Result<agent::WriteOutcome>& r) {
    return r.ok() ? "ok" : r.status().message();
}

// Whether the test runs as root; warns that owner checks are skipped if not.
inline bool is_root() {
    if (::geteuid() == 0) return true;
    WARN("not root: owner checks skipped (they run as root on CI)");
    return false;
}

// Runs `body` in a child process and returns the text it returns, for tests
// that change the process itself (its uid, a resource limit).
inline std::string in_child(const std::function<std::string()>& body) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        std::string out = body();
        for (std::string_view left = out; !left.empty();) {
            ssize_t n = ::write(fds[1], left.data(), left.size());
            if (n <= 0) break;
            left.remove_prefix(static_cast<std::size_t>(n));
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return out;
}

}  // namespace oasis::test
