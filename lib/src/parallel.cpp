#include "ayslab/parallel.hpp"

#include "ayslab/cancel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace ayslab {

namespace {
std::atomic<const std::atomic<bool>*> cancel_flag{nullptr};
}  // namespace

void set_cancel_flag(const std::atomic<bool>* flag) noexcept { cancel_flag.store(flag); }

void throw_if_cancelled() {
    const auto* flag = cancel_flag.load(std::memory_order_relaxed);
    if (flag && flag->load(std::memory_order_relaxed)) throw Cancelled();
}

std::size_t resolve_threads(std::size_t requested) {
    if (requested > 0) return requested;
    const auto hw = std::thread::hardware_concurrency();
    return hw > 0 ? hw : 1;
}

void parallel_for(std::size_t chunks, std::size_t threads, const std::function<void(std::size_t)>& body) {
    threads = std::min(resolve_threads(threads), chunks);
    if (threads <= 1) {
        for (std::size_t c = 0; c < chunks; ++c) {
            throw_if_cancelled();
            body(c);
        }
        return;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(chunks);
    auto worker = [&] {
        for (std::size_t c; (c = next.fetch_add(1)) < chunks;) {
            try {
                throw_if_cancelled();
                body(c);
            } catch (...) {
                errors[c] = std::current_exception();
            }
        }
    };
    {
        std::vector<std::jthread> pool;
        for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
        worker();
    }
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace ayslab
