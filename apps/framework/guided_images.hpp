// ays-guided's image setting: a class-conditional model of Fashion-MNIST (a file, e.g. from
// `train --set data=fashion-mnist --set network=unet --set conditional=true`) under classifier-free
// guidance. No exact guided law exists here, so each guided sampler is judged against the guided ODE's
// own output from the same starts (a fine-step Heun teacher): per-class sliced W2 with its SE over
// seeds, and paired differences to EDM rho = 7 (the same starts per seed).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/denoisers/denoiser.hpp"
#include "ayslab/optimise/ays.hpp"
#include "config.hpp"
#include "registry.hpp"
#include "result.hpp"

namespace ayslab::app {

// The setting's data and model, loaded and checked (file, convention, classes, image_classes) before
// any other work of the run: a bad model file is refused in a second, not after the exact settings.
struct GuidedImages {
    Dataset dataset;
    std::unique_ptr<Denoiser> model;
};
// Nothing when the config names no model (key `model`).
std::optional<GuidedImages> prepare_guided_images(const Config& config, const RunContext& context, Result& r);

// Runs the setting for every guidance scale with the prepared model, else records why it was skipped;
// writes r.values["fashion_mnist"] and its table lines.
void guided_images(const std::optional<GuidedImages>& prepared, const Config& config, const RunContext& context,
                   const std::vector<double>& scales, const std::vector<std::string>& solvers, Result& r);

}  // namespace ayslab::app
