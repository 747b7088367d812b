// ays-fashion-mnist: AYS on Fashion-MNIST (the ideal denoiser of a training subset, d = 784) against
// the usual schedules, by sample NLL, sliced W2 to test images and nearest-training-image distance.
#include "ays_compare.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {
Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    DatasetOptions dopt = read_dataset_options(cfg, ctx);
    dopt.subset = static_cast<std::size_t>(cfg.integer("subset"));
    dopt.fashion_mnist_dir = cfg.string("directory");
    ays_compare(make_dataset("fashion-mnist", dopt), cfg, ctx, r);
    return r;
}
}  // namespace

Experiment ays_fashion_mnist_experiment() {
    const Schema schema =
        Schema{seed_key(),
               {"subset", KeyType::integer, "training images used (the first N)", 1, 60000},
               {"directory", KeyType::string, "Fashion-MNIST directory (Debian's dataset-fashion-mnist)"}} +
        shared_keys({"held_out"}) + ays_compare_keys();
    return {"ays-fashion-mnist", "AYS vs the usual schedules on Fashion-MNIST (ideal denoiser, d = 784)",
            schema, run};
}

}  // namespace ayslab::app
