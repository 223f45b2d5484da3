package db

import (
	"context"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
)

// Pruned says what Prune deleted.
type Pruned struct {
	Messages int64
	Events   int64
}

// pruneChunk bounds each delete transaction, so that the sync loop's commits wait at most
// one chunk for the writer.
const pruneChunk = 5000

const (
	pruneMessages = `DELETE FROM messages WHERE id IN (
    SELECT id FROM messages WHERE created_at < ? ORDER BY created_at LIMIT ?)`
	pruneEvents = `DELETE FROM events WHERE id IN (
    SELECT id FROM events WHERE created_at < ? ORDER BY created_at LIMIT ?)`
)

// Prune deletes messages (with their full-text index entries, through the delete trigger) and
// events older than olderThan, in chunks. Recall notices whose original is pruned keep
// existing with recall_of NULL. Contacts, sessions and kv are kept.
func (d *DB) Prune(ctx context.Context, olderThan time.Time) (Pruned, error) {
	var p Pruned
	cutoff := olderThan.UnixMilli()
	for _, step := range []struct {
		q string
		n *int64
	}{{pruneEvents, &p.Events}, {pruneMessages, &p.Messages}} {
		for {
			res, err := d.writer.ExecContext(ctx, step.q, cutoff, pruneChunk)
			if err != nil {
				return p, fmt.Errorf("db: prune: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return p, fmt.Errorf("db: prune: %w", err)
			}
			*step.n += n
			if n < pruneChunk {
				break
			}
		}
	}
	d.log.WithFields(logrus.Fields{"messages": p.Messages, "events": p.Events,
		"older_than": olderThan.Format(time.RFC3339)}).Info("log pruned")
	return p, nil
}
