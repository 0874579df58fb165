#include "nats_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace oasis::testing {

namespace {

int free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("no free loopback port");
    }
    int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

bool accepts_connections(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

std::string server_binary() {
    if (const char* env = std::getenv("OASIS_NATS_SERVER")) return env;
    return "nats-server";
}

}  // namespace

NatsServer::NatsServer(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
    char tmpl[] = "/tmp/oasis-nats-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = free_loopback_port();
    url_ = "nats://127.0.0.1:" + std::to_string(port_);
    start();
}

NatsServer::~NatsServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void NatsServer::start() {
    std::string bin = server_binary();
    std::string port = std::to_string(port_);
    std::string store = dir_ + "/js";
    std::string log = dir_ + "/nats.log";
    std::vector<const char*> argv = {bin.c_str(),   "-js", "-a", "127.0.0.1", "-p", port.c_str(),
                                     "-sd",         store.c_str(), "-l", log.c_str()};
    for (const auto& a : extra_args_) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    if (::posix_spawnp(&pid_, bin.c_str(), nullptr, nullptr, const_cast<char**>(argv.data()),
                       environ) != 0)
        throw std::runtime_error("cannot start nats-server; install it (apt-get install "
                                 "nats-server) or set OASIS_NATS_SERVER");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts_connections(port_)) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("nats-server did not start; see " + log);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void NatsServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void NatsServer::restart() {
    stop();
    start();
}

}  // namespace oasis::testing
