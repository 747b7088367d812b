// Writes a TorchScript model from source, for the tests' hostile models (no Python torch needed):
//   ayslab-make-model OUT.pt 'def forward(self, x, sigma):\n    return ...'
// The probe call runs on load in ayslab, not here: a model that fails it is still written.
#include <cstdlib>
#include <fmt/format.h>
#include <torch/script.h>

int main(int argc, char** argv) {
    if (argc != 3) {
        fmt::print(stderr, "usage: ayslab-make-model OUT.pt 'TorchScript source defining forward(self, x, sigma)'\n");
        return 2;
    }
    try {
        torch::jit::Module m("ayslab_test_model");
        m.define(argv[2]);
        m.save(argv[1]);
    } catch (const std::exception& e) {
        fmt::print(stderr, "ayslab-make-model: {}\n", e.what());
        return 1;
    }
    return 0;
}
