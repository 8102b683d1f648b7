package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labfront/labfront/internal/statefile"
)

// revocations are the OIDC sessions signed out before their cookie
// expired. A session cookie is sealed, so the server cannot take it back
// from a browser or from whoever copied it; instead each session carries a
// random id, and signing out records that id here until the cookie would
// have expired anyway. The list lives in state_dir so a restart still
// refuses a signed-out cookie, and it cannot grow past what 12 hours of
// sign-outs leave (and never past maxRevocations, see revoke).
//
// notBefore revokes, in one entry, every session issued at or before it:
// it is what a damaged file and a full list turn into.
type revocations struct {
	path  string
	files *statefile.Files
	now   func() time.Time
	log   *slog.Logger
	limit int // maxRevocations; tests lower it

	mu        sync.Mutex
	notBefore int64            // unix seconds; 0 when unset
	ids       map[string]int64 // session id → unix second its cookie expires
}

const (
	revocationsFile = "revoked-sessions.json"
	// maxRevocations bounds the file (about 60 bytes an entry). Only a
	// signed-in user can add one, one per sign-out.
	maxRevocations = 10000
)

// revocationsJSON is the file's format.
type revocationsJSON struct {
	NotBefore int64            `json:"not_before,omitempty"`
	Revoked   []revokedSession `json:"revoked"`
}

type revokedSession struct {
	ID      string `json:"id"`
	Expires int64  `json:"expires"`
}

// openRevocations loads path. A missing file is an empty list. A file that
// is there but unreadable as a list is not trusted in either direction:
// every session issued until now counts as revoked (everyone signs in
// again), files moves it aside as path.corrupt-<time> for the operator,
// and a fresh one is written. A file that cannot be read at all
// (permissions) stops the start: the server could not record sign-outs
// either.
func openRevocations(files *statefile.Files, path string, now func() time.Time, log *slog.Logger) (*revocations, error) {
	r := &revocations{path: path, files: files, now: now, log: log, limit: maxRevocations, ids: map[string]int64{}}
	lost, err := files.Load(path, r.parse)
	if err != nil {
		return nil, fmt.Errorf("signed-out sessions: %w", err)
	}
	if lost {
		log.Error("the list of signed-out sessions was damaged: every session signed in until now is refused, everyone must sign in again", "path", path)
		r.notBefore, r.ids = now().Unix(), map[string]int64{}
		if err := r.saveLocked(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *revocations) parse(data []byte) error {
	var f revocationsJSON
	if err := statefile.DecodeJSON(data, &f); err != nil {
		return err
	}
	if f.Revoked == nil {
		return errors.New(`no "revoked" list`)
	}
	now := r.now().Unix()
	for i, s := range f.Revoked {
		if s.ID == "" || s.Expires <= 0 {
			return fmt.Errorf("revoked[%d]: needs id and expires", i)
		}
		if s.Expires > now {
			r.ids[s.ID] = s.Expires
		}
	}
	r.notBefore = f.NotBefore
	return nil
}

// revoked says whether a session signed in at issued (unix seconds) with
// id has been signed out.
func (r *revocations) revoked(id string, issued int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if issued <= r.notBefore {
		return true
	}
	_, ok := r.ids[id]
	return ok
}

// revoke records a sign-out until expires, and saves the list before it
// returns. The entry is in memory even when saving fails, so this server
// refuses the cookie at least until it restarts.
func (r *revocations) revoke(id string, expires time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now().Unix()
	for sid, exp := range r.ids {
		if exp <= now {
			delete(r.ids, sid)
		}
	}
	if len(r.ids) >= r.limit {
		// Forgetting an entry would let its cookie back in; revoking every
		// session issued so far keeps the list bounded and lets none back.
		r.log.Warn("too many signed-out sessions to list: every session signed in until now is refused", "limit", r.limit)
		r.notBefore, r.ids = now, map[string]int64{}
	}
	r.ids[id] = expires.Unix()
	return r.saveLocked()
}

func (r *revocations) saveLocked() error {
	f := revocationsJSON{NotBefore: r.notBefore, Revoked: make([]revokedSession, 0, len(r.ids))}
	for id, exp := range r.ids {
		f.Revoked = append(f.Revoked, revokedSession{ID: id, Expires: exp})
	}
	// Sorted, so that the same list is the same file.
	slices.SortFunc(f.Revoked, func(a, b revokedSession) int { return strings.Compare(a.ID, b.ID) })
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("signed-out sessions: %w", err)
	}
	if err := r.files.Write(r.path, data, 0o600); err != nil {
		return fmt.Errorf("signed-out sessions: %w", err)
	}
	return nil
}
