// libFuzzer's entry for programs that have their own `main` (LLVM 11 and later).
//
// SwiftPM links every executable target with its `main` renamed to `<Module>_main` on
// Linux, so a target cannot rely on libFuzzer's `main`; it calls this from its own.
#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
