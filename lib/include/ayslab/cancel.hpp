// Cancelling a run from outside (Ctrl-C in the Python binding, where the process must go on): the
// embedding program registers a flag its signal handler sets, and the library's parallel loops check it
// before each chunk, throwing Cancelled. The CLI registers none (its handler ends the process).
#pragma once
#include <atomic>
#include <stdexcept>

namespace ayslab {

struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("interrupted") {}
};

// The flag to watch (nullptr: none). Not owned; it must outlive its registration.
void set_cancel_flag(const std::atomic<bool>* flag) noexcept;
// Throws Cancelled when the registered flag is set.
void throw_if_cancelled();

}  // namespace ayslab
