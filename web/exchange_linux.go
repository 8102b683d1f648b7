package web

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps the directories at a and b in one renameat2(2) with
// RENAME_EXCHANGE (Linux 3.15+; ext4, xfs, btrfs, tmpfs, overlayfs…).
// A kernel or file system without it gives errNoExchange.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return errNoExchange
	}
	if err != nil {
		return &os.LinkError{Op: "exchange", Old: a, New: b, Err: err}
	}
	return nil
}
