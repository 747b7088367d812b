// ays-fashion-mnist: AYS on Fashion-MNIST (the ideal denoiser of a training subset, d = 784) against
// the usual schedules, by sample NLL, sliced W2 to test images and nearest-training-image distance.
#include "ays_compare.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {
Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    ays_compare(make_dataset("fashion-mnist", read_dataset_options(cfg, ctx)), cfg, ctx, r);
    return r;
}
}  // namespace

Experiment ays_fashion_mnist_experiment() {
    const Schema schema =
        Schema{seed_key()} + shared_keys({"subset", "directory", "held_out"}) + ays_compare_keys();
    return {"ays-fashion-mnist", "AYS vs the usual schedules on Fashion-MNIST (ideal denoiser, d = 784)",
            schema, run};
}

}  // namespace ayslab::app
