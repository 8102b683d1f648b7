package content

import (
	"errors"
	"io/fs"
	"syscall"
)

// stampOf is the stamp of a stat; its Read is left 0.
func stampOf(fi fs.FileInfo) (Stamp, error) {
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
