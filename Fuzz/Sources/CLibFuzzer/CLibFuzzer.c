// Empty: the module only exports the declaration in include/CLibFuzzer.h; the symbol
// itself comes from libFuzzer's runtime, linked in by `-sanitize=fuzzer`.
#include "CLibFuzzer.h"
