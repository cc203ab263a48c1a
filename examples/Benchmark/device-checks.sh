#!/usr/bin/env bash
# The GPU measurements of the Performance section in one run, for a machine with one GPU and many cores, each step
# under its own time limit so that a slow step costs only itself. Run it from the folder of a published Benchmark
# (dotnet publish examples/Benchmark -c Release -r linux-x64 --self-contained), with a CUDA libtorch reachable (README,
# "Packages and native libraries"):
#
#   bash device-checks.sh <results folder> [<folder with Fashion-MNIST train-* files>]
#
# Steps, most wanted first: the networks against this machine's PyTorch on the GPU; both trainers on MNIST 10k on the
# GPU; the engine's kNN on the GPU at 70,000 points beside libtorch on the CPU threads, and 1,000,000 points through the
# whole engine; both trainers on the 60,000 Fashion-MNIST train images on the GPU (when the folder is given); JULE on
# MNIST 10k on the CPU with 2 and with every core. Each step writes <step>.log and a results folder; summary.txt lists
# the exit codes (124: the step ran out of time). DEVICE=cpu SCALE=small runs the same steps small on the CPU, to check
# the script itself.
set -u
out=${1:?usage: device-checks.sh <results folder> [fashion folder]}
fashion=${2:-}
device=${DEVICE:-cuda}
cores=$(nproc)
bench=./MLNet.DeepClustering.Benchmark
if [ "${SCALE:-full}" = small ]; then
  # Small enough for a CPU: 300 images, one pass per epoch, 2 epochs.
  mnist=mnist:300; fashion_set=fashion:300; limit=300; engine=2000; million=5000; seconds=1
  quick=(--set MinimumImagesPerEpoch=0 --set MaxEpochs=2 --set EpochsPerPeriod=2)
else
  mnist=mnist:10000; fashion_set=fashion:60000; limit=10000; engine=70000; million=1000000; seconds=10
  quick=()
fi
mkdir -p "$out"
{ date -u; nproc; nvidia-smi -L 2>&1 || true; } > "$out/machine.txt"

step() {
  local name=$1 seconds_allowed=$2
  shift 2
  local start=$SECONDS
  timeout "$seconds_allowed" "$@" --results "$out/$name" > "$out/$name.log" 2>&1
  local rc=$?
  echo "$name: exit $rc after $((SECONDS - start)) s (limit $seconds_allowed s)" | tee -a "$out/summary.txt"
}

step networks 150 $bench --method jule --skip-methods --skip-engine --device "$device" --threads "$cores" --network-seconds "$seconds"
step mnist 240 $bench --suite quality --method all --datasets "$mnist" --seeds 1 --device "$device" --threads "$cores" "${quick[@]}"
step engine 150 $bench --method jule --skip-methods --skip-networks --device "$device" --threads "$cores" --engine-sizes "$engine"
step engine-million 180 $bench --method jule --skip-methods --skip-networks --skip-torch-knn --device "$device" --threads "$cores" --engine-sizes "$million"
if [ -n "$fashion" ]; then
  step fashion 300 $bench --suite quality --method all --datasets "$fashion_set" --seeds 1 --device "$device" --threads "$cores" --fashion "$fashion" "${quick[@]}"
fi
step threads-2 300 $bench --method jule --skip-networks --skip-engine --limit "$limit" --threads 2
step threads-all 300 $bench --method jule --skip-networks --skip-engine --limit "$limit" --threads "$cores"
cat "$out/summary.txt"
