// ays-fashion-mnist: AYS on Fashion-MNIST (the ideal denoiser of a training subset, d = 784) against
// the usual schedules, by sample NLL, sliced W2 to test images and nearest-training-image distance.
#include "ays_compare.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {
Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    DatasetOptions dopt;
    dopt.subset = static_cast<std::size_t>(cfg.integer("subset"));
    dopt.held_out = static_cast<std::size_t>(cfg.integer("held_out"));
    dopt.seed = cfg.seed();
    dopt.precision = parse_precision(cfg.string("precision"));
    dopt.shards = static_cast<std::size_t>(cfg.integer("data_shards"));
    dopt.threads = ctx.threads;
    dopt.fashion_mnist_dir = cfg.string("directory");
    ays_compare(make_dataset("fashion-mnist", dopt), cfg, ctx, r);
    return r;
}
}  // namespace

Experiment ays_fashion_mnist_experiment() {
    Schema schema = {
        seed_key(),
        {"subset", KeyType::integer, "training images used (the first N)", 1, 60000},
        {"held_out", KeyType::integer, "test images for sliced W2", 1, 10000},
        {"directory", KeyType::string, "Fashion-MNIST directory (Debian's dataset-fashion-mnist)"},
    };
    for (auto& k : ays_compare_keys()) schema.push_back(k);
    return {"ays-fashion-mnist", "AYS vs the usual schedules on Fashion-MNIST (ideal denoiser, d = 784)",
            schema, run};
}

}  // namespace ayslab::app
