// The slice worker (`tcp_churn --slice-worker --variant NAME ...`): one
// variant's client threads kept alive between short slices that a driver
// (scripts/paired) asks for on stdin, each answered with one JSON line on
// stdout, so that two strategies can be measured interleaved. The protocol
// is in docs/design.md ("The slice worker") and /work/wt/PAIRED_SPEC.md.
#pragma once

#include "model/registry.hpp"

namespace sockchurn::bench {

// Whether argv asks for the slice worker (--slice-worker anywhere).
bool asks_for_slice_worker(int argc, char** argv);

// Runs the worker; returns the exit status: 0 after quit or EOF, 1 for a
// fatal problem (its JSON error line on stdout and stderr), 2 for a bad flag
// or an unknown variant (one line on stderr).
int slice_worker_main(int argc, char** argv, Protocol protocol, const char* prog);

}  // namespace sockchurn::bench
