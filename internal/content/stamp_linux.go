package content

import (
	"errors"
	"os"
	"syscall"
)

// statStamp stats path; the stamp's Read is left 0.
func statStamp(path string) (Stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Stamp{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return Stamp{}, errors.New("no stat_t")
	}
	return Stamp{
		Size:   fi.Size(),
		Mod:    fi.ModTime().UnixNano(),
		Change: st.Ctim.Nano(),
		Inode:  st.Ino,
	}, nil
}
