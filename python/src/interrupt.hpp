// Ctrl-C during a run. Python raises KeyboardInterrupt only in its main thread when it runs bytecode,
// but ayslab's worker threads call the user's model: while a run is in progress the binding installs
// its own SIGINT handler that sets a flag, the next model call (on any thread) raises KeyboardInterrupt
// from it, and a run that made no model call after the signal raises it when the C++ work returns.
#pragma once
#include <pybind11/pybind11.h>

#include <atomic>
#include <csignal>

#include "ayslab/cancel.hpp"

namespace ayslab::python {

inline std::atomic<bool>& interrupted() {
    static std::atomic<bool> flag{false};
    return flag;
}

// With the GIL held: raises KeyboardInterrupt (as a C++ exception pybind11 turns back into it) when
// SIGINT arrived since the run began. The flag stays set until the next run, so every worker's next
// call raises too (the run's chunks all stop, not only the one that saw it first).
inline void raise_if_interrupted() {
    if (interrupted().load()) {
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        throw pybind11::error_already_set();
    }
}

extern "C" inline void note_sigint(int) { interrupted().store(true); }

// Installs note_sigint for the guard's life (only in the main thread, where Python's handler lives)
// and puts the previous handler back.
class SigintGuard {
  public:
    // Only the outermost run (a run nested inside a model call keeps the pending Ctrl-C: it reset the flag).
    SigintGuard() {
        if (depth().fetch_add(1) > 0) return;
        outermost_ = true;
        interrupted().store(false);
        set_cancel_flag(&interrupted());  // the library's loops stop at their next chunk (no model call needed)
        if (!PyGILState_Check() || PyThread_get_thread_ident() != main_thread()) return;
        struct sigaction ours{};
        ours.sa_handler = note_sigint;
        sigemptyset(&ours.sa_mask);
        active_ = ::sigaction(SIGINT, &ours, &previous_) == 0;
    }
    ~SigintGuard() {
        depth().fetch_sub(1);
        if (!outermost_) return;
        set_cancel_flag(nullptr);
        if (active_) ::sigaction(SIGINT, &previous_, nullptr);
    }
    SigintGuard(const SigintGuard&) = delete;
    SigintGuard& operator=(const SigintGuard&) = delete;

  private:
    static std::atomic<int>& depth() {
        static std::atomic<int> d{0};
        return d;
    }
    static unsigned long main_thread() {
        static const unsigned long id = [] {
            pybind11::gil_scoped_acquire gil;
            return pybind11::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
        }();
        return id;
    }
    struct sigaction previous_{};
    bool active_ = false;
    bool outermost_ = false;
};

}  // namespace ayslab::python
