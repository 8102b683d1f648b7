//go:build !linux

package content

import (
	"errors"
	"io/fs"
)

// stampOf: without a change time the stamp cannot be trusted, so on
// these systems every source is read and hashed on every build.
func stampOf(fs.FileInfo) (Stamp, error) {
	return Stamp{}, errors.New("file stamps are only used on Linux")
}
