//go:build unix

package sitefs

import (
	"os"
	"syscall"
)

// openFlags opens without blocking: opening a FIFO for reading would wait
// for a writer.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
