#!/bin/sh
# install-deps.sh -- the Debian 12 packages wowflow needs to build, test and post-process.
# Run as root (or it uses sudo).  Used by the README's quick start and by .ci/run.
set -e
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  build-essential autoconf automake libtool pkg-config \
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools \
  libfftw3-dev libfftw3-mpi-dev libopenblas-dev librandom123-dev zlib1g-dev \
  cmake libcmocka-dev python3 python3-h5py python3-numpy python3-matplotlib python3-pil \
  python3-sklearn dataset-fashion-mnist procps git
