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
// This thread's share of the cores for nested work; 0 outside a parallel_for on several threads.
thread_local std::size_t share = 0;

// Sets this thread's share for the lifetime of the guard (the caller's thread gets its own back).
class ShareGuard {
  public:
    explicit ShareGuard(std::size_t s) : saved_(share) { share = s; }
    ~ShareGuard() { share = saved_; }
    ShareGuard(const ShareGuard&) = delete;
    ShareGuard& operator=(const ShareGuard&) = delete;

  private:
    std::size_t saved_;
};
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

std::size_t inner_threads(std::size_t requested) { return share > 0 ? share : resolve_threads(requested); }

void parallel_for(std::size_t chunks, std::size_t threads, const std::function<void(std::size_t)>& body) {
    // Nested in a worker, a loop runs on that worker's share: the cores are not split twice.
    const std::size_t cores = inner_threads(threads);
    threads = std::min(cores, chunks);
    if (threads <= 1) {
        for (std::size_t c = 0; c < chunks; ++c) {
            throw_if_cancelled();
            body(c);
        }
        return;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(chunks);
    const std::size_t each = std::max<std::size_t>(1, cores / threads);
    auto worker = [&] {
        const ShareGuard guard(each);
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
