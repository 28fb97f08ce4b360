#!/usr/bin/env bash
# Installs what libgdfo needs on Debian 12 (run as root).
#   bash .ci/deps.sh          build and test dependencies
#   bash .ci/deps.sh --bench  also what `make bench` and `make bench-quality` use
#                             (PyTorch, Optuna)
set -euo pipefail
pkgs=(build-essential pkg-config libopenblas-dev libcjson-dev check libzstd-dev zlib1g-dev
      zstd python3 python3-pytest python3-numpy python3-pip python3-setuptools python3-wheel
      python3-venv default-jdk-headless junit5
      python3-matplotlib # gdfo advise --what-if --plot, make bench-quality's figures, make model's curve
      clang libclang-rt-14-dev) # clang: the libFuzzer targets (make fuzz, tests/fuzz/)
if [ "${1:-}" = "--bench" ]; then
	pkgs+=(python3-torch python3-optuna)
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing ${missing[*]}; run this script as root" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "deps: all ${#pkgs[@]} packages present"
