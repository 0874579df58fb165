// ResultSender: how the fleet simulator stores its agents' results in
// JetStream. Three ways, chosen by measuring (see docs/benchmarks.md):
//
//   inline   Bus::js_publish with "first writer wins" on the calling thread,
//            exactly as `oasis agent run` does; with one delivery thread per
//            agent this is what a real fleet does, one agent per thread.
//   pool     the same publish, handed to --publishers threads, so a few
//            delivery threads can serve many agents without waiting on acks.
//   batch    per connection, everything queued since the last round goes out
//            with Bus::js_publish_all (acks awaited together). Bus offers no
//            headers on that path, so these results are stored WITHOUT the
//            "first writer wins" condition: right for a benchmark in which
//            nothing else writes a result, not a model of a real agent.
#pragma once

#include "oasis/bus.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace oasis::bench {

enum class ResultMode { inline_sync, pool, batch };

// One result waiting to be stored.
struct PendingResult {
    std::string batch_id;
    std::string subject;
    std::string payload;
    std::size_t connection = 0;  // index into the buses given to make()
};

// Told about each result once it is stored (Code::ok), was refused because
// another result came first (Code::conflict), or failed. May be called from
// any sender thread; must be thread-safe and quick.
using ResultDone = std::function<void(const PendingResult& r, Code outcome)>;

class ResultSender {
public:
    // `buses` must outlive the sender. `publishers` is used by pool only.
    static std::unique_ptr<ResultSender> make(ResultMode mode, std::vector<Bus*> buses,
                                              int publishers, ResultDone done);
    // Stores everything already handed over, then stops its threads.
    virtual ~ResultSender() = default;

    // Thread-safe. inline_sync returns once the result is stored; the others
    // return at once.
    virtual void send(PendingResult r) = 0;
};

}  // namespace oasis::bench
