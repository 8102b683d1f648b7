package content

import "time"

// Stamp is what the file system says about a source file, recorded when
// the file was read. A later build whose stat of the file gives the same
// stamp reuses the page without reading and hashing the file again: at
// 10,000 posts, reading every source was a fifth of a one-post rebuild.
//
// The change time is the safeguard: the kernel sets it on every write and
// no one can set it back, so a file written after it was read cannot have
// its old stamp. A file changed within 2 s before it was read (coarse
// timestamps on some file systems) is never trusted this way; as in git's
// "racy clean" rule, it is read and hashed again.
type Stamp struct {
	Size   int64
	Mod    int64 // modification time, ns since the epoch
	Change int64 // status change time (ctime), ns since the epoch
	Inode  uint64
	Read   int64 // when the file was read, ns since the epoch; 0: never trust
}

// settleTime is how long before the read a file must have last changed
// for its stamp to be trusted (Cache.settle; tests shorten it).
const settleTime = 2 * time.Second

// settled reports whether the file had not changed for settle when it was
// read.
func (s Stamp) settled(settle time.Duration) bool {
	limit := s.Read - int64(settle)
	return s.Read != 0 && s.Change < limit && s.Mod < limit
}

// sameFile reports whether two stats describe the same, unchanged file.
func (s Stamp) sameFile(o Stamp) bool {
	return s.Size == o.Size && s.Mod == o.Mod && s.Change == o.Change && s.Inode == o.Inode
}

// vouches reports whether the page recorded with stamp s can stand for a
// file whose stat now gives now.
func (s Stamp) vouches(now Stamp, settle time.Duration) bool {
	return s.settled(settle) && s.sameFile(now)
}
