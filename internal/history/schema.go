package history

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema's versions in order: migrations[i] takes a
// database from user_version i to i+1. A released step is never edited,
// only followed by a new one, because databases in the field are at every
// version. Times are Unix milliseconds, durations milliseconds.
var migrations = []string{
	// 1: state changes, recorded per run of the admin server.
	`CREATE TABLE subjects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
	CREATE TABLE runs (id INTEGER PRIMARY KEY, started INTEGER NOT NULL, alive INTEGER NOT NULL);
	CREATE TABLE changes (
		subject INTEGER NOT NULL REFERENCES subjects(id),
		run INTEGER NOT NULL REFERENCES runs(id),
		at INTEGER NOT NULL,
		state TEXT NOT NULL CHECK (state IN ('up','down','degraded','unknown','maintenance')),
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX changes_by_subject ON changes(subject, at);`,
	// 2: latency samples, packed per subject and hour (a row per sample
	// would make a 500-node lab's 14 raw days about ten times larger),
	// daily rollups of what compaction removed, and the compaction mark.
	`CREATE TABLE samples (
		subject INTEGER NOT NULL REFERENCES subjects(id),
		hour INTEGER NOT NULL,
		data BLOB NOT NULL,
		PRIMARY KEY (subject, hour)
	) WITHOUT ROWID;
	CREATE TABLE daily (
		subject INTEGER NOT NULL REFERENCES subjects(id),
		start INTEGER NOT NULL,
		end INTEGER NOT NULL,
		day TEXT NOT NULL,
		up INTEGER NOT NULL, degraded INTEGER NOT NULL, down INTEGER NOT NULL,
		maintenance INTEGER NOT NULL, unknown INTEGER NOT NULL,
		samples INTEGER NOT NULL, latency_sum REAL NOT NULL,
		latency_min REAL NOT NULL, latency_max REAL NOT NULL,
		PRIMARY KEY (subject, start)
	) WITHOUT ROWID;
	CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
}

// SchemaVersion is the version this build writes.
var SchemaVersion = len(migrations)

// migrate brings db to SchemaVersion, each step in its own transaction
// with its version, so a crash mid-migration leaves the previous version.
// A database newer than this build is refused rather than guessed at.
func migrate(ctx context.Context, db *sql.DB, upto int) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this labfront knows (%d): use a newer labfront or restore a backup", v, len(migrations))
	}
	for ; v < upto; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate to schema %d: %w", v+1, errJoinRollback(err, tx))
		}
		// PRAGMA takes no bound parameters; v is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			return fmt.Errorf("migrate to schema %d: %w", v+1, errJoinRollback(err, tx))
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to schema %d: %w", v+1, err)
		}
	}
	return nil
}

func errJoinRollback(err error, tx *sql.Tx) error {
	if rerr := tx.Rollback(); rerr != nil {
		return fmt.Errorf("%w (rollback: %v)", err, rerr)
	}
	return err
}
