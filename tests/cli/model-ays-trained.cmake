# ays-trained reads a model file with every denoiser key (it took only k-diffusion's denoiser
# convention): the eps-on-DDPM-linear fixture (the `gaussian` set's exact denoiser, tests/fixtures)
# read as eps / ddpm-linear / t gives AYS(network) = AYS(exact) to float32 accuracy (measured 9.4e-4;
# the eps conversion loses ~log10(sigma) digits at high sigma, as in model-ays.cmake: 2e-3), its
# schedule is printed in the model's process (DDPM timesteps), and read with the defaults
# (a denoiser on edm) it is refused by the pre-flight (exit 2) before any training or optimisation.
set(_common --set data=gaussian --set samples=256 --set validation_samples=1024 --set eval_particles=200
            --set eval_seeds=2 --set samplers=euler --set claimed_samplers=euler --set subdivisions=0
            --set reference_steps=20 --set stop_on=klub --quiet)
execute_process(COMMAND ${EXE} ays-trained ${_common} --set model=${MODEL} --set parametrisation=eps
                        --set model_process=ddpm-linear --set model_time=t --out ${DIR}/eps.json
                RESULT_VARIABLE _code ERROR_VARIABLE _err)
# Exit 1 is a failed claim (AYS vs EDM rho=7 for Euler on this Gaussian), not this test's subject.
if(NOT (_code EQUAL 0 OR _code EQUAL 1))
  message(FATAL_ERROR "ays-trained with the eps model exited ${_code}: ${_err}")
endif()
execute_process(COMMAND /usr/bin/python3 -c "
import json, sys
r = json.load(open('${DIR}/eps.json'))['results']['10']
a, b = r['ays_network_schedule'], r['ays_exact_schedule']
worst = max(abs(x - y) / x for x, y in zip(a['sigmas'], b['sigmas']))
print(f'AYS(network) vs AYS(exact): largest relative difference {worst:.3g} (tolerance 2e-3); timesteps {a.get(\"timesteps\")}')
ok = worst < 2e-3 and isinstance(a.get('timesteps'), list) and a['timesteps'][-1] == 0 and all(isinstance(t, int) for t in a['timesteps'])
sys.exit(0 if ok else 1)"
                RESULT_VARIABLE _cmp OUTPUT_VARIABLE _out)
message(STATUS "${_out}")
if(NOT _cmp EQUAL 0)
  message(FATAL_ERROR "ays-trained with a model file: ${_out}")
endif()
execute_process(COMMAND ${EXE} ays-trained ${_common} --set model=${MODEL} --out ${DIR}/misread.json
                RESULT_VARIABLE _code ERROR_VARIABLE _err)
if(NOT _code EQUAL 2 OR NOT _err MATCHES "another reading fits better: set parametrisation=eps, model_time=t, model_process=ddpm-linear" OR EXISTS ${DIR}/misread.json)
  message(FATAL_ERROR "ays-trained with a misread model: exit ${_code}, expected 2 with a pre-flight refusal: ${_err}")
endif()
