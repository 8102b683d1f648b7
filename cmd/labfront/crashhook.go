package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// killAtRenameEnv names the crash tests' hook: "before-N" or "after-N"
// makes `labfront build` SIGKILL itself just before or just after the
// Nth rename of its publish step (see web.Options.AtRename), so a test
// can stop a real build at every one of them. Unset, builds run as
// always.
const killAtRenameEnv = "LABFRONT_TEST_KILL_AT_RENAME"

// killAtRename parses the hook's value; "" gives no hook.
func killAtRename(value string) (func(n int, after bool), error) {
	if value == "" {
		return nil, nil
	}
	when, num, ok := strings.Cut(value, "-")
	n, err := strconv.Atoi(num)
	if !ok || (when != "before" && when != "after") || err != nil || n < 1 {
		return nil, fmt.Errorf("%s=%q: want before-N or after-N, N from 1", killAtRenameEnv, value)
	}
	return func(at int, after bool) {
		if at == n && after == (when == "after") {
			// SIGKILL, not os.Exit: nothing of the process runs after it,
			// as in the crashes the hook stands for.
			if err := syscall.Kill(os.Getpid(), syscall.SIGKILL); err != nil {
				panic(err) // a test hook that cannot kill must not pass silently
			}
			select {} // the signal is on its way
		}
	}, nil
}
