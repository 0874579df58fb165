#include "interrupt.h"

#include "cli.h"

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace oasis::cli {

namespace {

// Process-wide by nature: signals are delivered to the process.
std::atomic<bool> g_detach_scope{false};
std::atomic<bool> g_interrupted{false};

void watch(sigset_t set) {
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (g_detach_scope.load()) {
            g_interrupted = true;
            continue;
        }
        std::fflush(stdout);
        std::_Exit(kInterrupted);
    }
}

}  // namespace

void install_interrupt_handling() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread(watch, set).detach();
}

DetachOnInterrupt::DetachOnInterrupt() {
    g_interrupted = false;
    g_detach_scope = true;
}

DetachOnInterrupt::~DetachOnInterrupt() { g_detach_scope = false; }

bool DetachOnInterrupt::interrupted() const { return g_interrupted.load(); }

}  // namespace oasis::cli
