// Ctrl-C for the CLI. SIGINT and SIGTERM are blocked in every thread (the
// NATS library's included) and taken by one watcher thread: by default they
// end the process with exit code 130 at once; inside a DetachOnInterrupt
// scope they only raise a flag the command polls, so it can say what goes
// on without it.
#pragma once

namespace oasis::cli {

// Call once, first thing in the CLI, before any other thread exists.
void install_interrupt_handling();

// While one of these lives, an interrupt sets interrupted() instead of
// ending the process. Not nestable across threads; the CLI is one thread.
class DetachOnInterrupt {
public:
    DetachOnInterrupt();
    ~DetachOnInterrupt();
    bool interrupted() const;
};

}  // namespace oasis::cli
