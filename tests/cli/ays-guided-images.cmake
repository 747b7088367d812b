# ays-guided's Fashion-MNIST setting with a class-conditional U-Net that `train` writes (a few steps: the
# setting's machinery, not the model's quality, is what this pins). The run's own checks must pass: for
# each w, the guided model equals D_u + w (D_c - D_u) from separate model calls (w on the wrong branch
# fails it), and network evaluations per particle = NFE x 2 when guiding (x 1 at w = 1). Then the JSON
# must hold, per w, the four schedules, the per-solver sliced W2 to the guided teacher with paired
# differences, and AYS(w = 3) must differ from AYS(w = 1) (guidance reached the optimiser).
execute_process(COMMAND ${EXE} train --set data=fashion-mnist --set network=unet --set conditional=true --set channels=16
                        --set levels=2 --set train_steps=20 --set batch=16 --set record_every=10 --set checkpoint_every=1000
                        --set eval_samples=64 --set model_out=${DIR}/fashion.pt --out ${DIR}/train.json --quiet
                RESULT_VARIABLE _code ERROR_VARIABLE _err)
# (exit 1: train's own accuracy checks fail at 20 steps, as they should; the model file is written)
if(NOT EXISTS ${DIR}/fashion.pt)
  message(FATAL_ERROR "train wrote no model (exit ${_code}): ${_err}")
endif()
execute_process(COMMAND ${EXE} ays-guided --set model=${DIR}/fashion.pt --set model_labels=10 --set preflight=false
                        --set scales=1,3 --set solvers=euler,dpmpp-2m --set steps=5 --set dim=2
                        --set samples=64 --set validation_samples=128 --set golden_iterations=6 --set max_sweeps=1
                        --set eval_particles=100 --set image_samples=8 --set image_validation_samples=16
                        --set image_particles=8 --set image_seeds=2 --set image_teacher_steps=6 --set image_classes=0,7
                        --out ${DIR}/guided.json --quiet
                RESULT_VARIABLE _code ERROR_VARIABLE _err)
if(NOT _code EQUAL 0)
  message(FATAL_ERROR "ays-guided with the conditional Fashion-MNIST model exited ${_code}: ${_err}")
endif()
execute_process(COMMAND /usr/bin/python3 -c "
import json, sys
r = json.load(open('${DIR}/guided.json'))
f = r['results']['fashion_mnist']
ok = f['classes'] == [0, 7]
for w in ['w=1', 'w=3']:
    e = f[w]
    ok = ok and set(e['sigmas']) == {'edm', 'ays', 'ays_w0', 'ays_w1'}
    for s in ['euler', 'dpmpp-2m']:
        t = e['sw2_to_teacher'][s]
        ok = ok and t['edm']['mean'] > 0 and all('minus_edm_se' in t[k] for k in ['ays', 'ays_w0', 'ays_w1'])
ok = ok and f['w=1']['network_evaluations'] == f['w=1']['nfe'] and f['w=3']['network_evaluations'] == 2 * f['w=3']['nfe']
moved = max(abs(a - b) / b for a, b in zip(f['w=3']['sigmas']['ays'], f['w=1']['sigmas']['ays']))
print(f'ays-guided images: AYS(w=3) vs AYS(w=1) largest relative knot difference {moved:.3g}')
sys.exit(0 if ok and moved > 1e-3 else 1)"
                RESULT_VARIABLE _cmp OUTPUT_VARIABLE _out)
message(STATUS "${_out}")
if(NOT _cmp EQUAL 0)
  message(FATAL_ERROR "ays-guided's Fashion-MNIST results are incomplete or guidance did not reach AYS: ${_out}")
endif()
