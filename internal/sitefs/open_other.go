//go:build !unix

package sitefs

import "os"

// openFlags: systems without FIFOs in the file tree need no O_NONBLOCK.
const openFlags = os.O_RDONLY
