// NatsServer: a real `nats-server -js` for one test, on a free loopback port
// with its own store directory; stopped and removed when destroyed.
#pragma once

#include <string>
#include <vector>
#include <sys/types.h>

namespace oasis::testing {

class NatsServer {
public:
    // Starts the server and waits until it accepts connections; throws
    // std::runtime_error (failing the test loudly) when it cannot.
    // `extra_args` go to nats-server as they are (TLS flags, say).
    explicit NatsServer(std::vector<std::string> extra_args = {});
    ~NatsServer();

    NatsServer(const NatsServer&) = delete;
    NatsServer& operator=(const NatsServer&) = delete;

    const std::string& url() const { return url_; }
    int port() const { return port_; }

    // Stops the server (SIGTERM, then SIGKILL) and starts it again on the
    // same port and store, as after a crash or an upgrade.
    void restart();
    void stop();
    void start();

private:
    std::vector<std::string> extra_args_;
    int port_ = 0;
    pid_t pid_ = -1;
    std::string dir_;
    std::string url_;
};

}  // namespace oasis::testing
