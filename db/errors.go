package db

import (
	"errors"
	"fmt"
	"strings"
)

// Errors callers test with errors.Is. Every error the package returns names the operation
// ("db: commit: …") and wraps one of these when it applies.
var (
	// ErrSchemaTooNew: the database file was written by a newer qunguan (its schema version is
	// above every migration this binary knows). Opening it could corrupt it: upgrade qunguan.
	ErrSchemaTooNew = errors.New("database schema is newer than this qunguan: upgrade qunguan")
	// ErrNotFound: no such message, contact, chat or key.
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous: a name matches several chats; the error is an *AmbiguousError listing them.
	ErrAmbiguous = errors.New("ambiguous name")
	// ErrReadOnly: a read-only query tried to change something, or to run a statement that is
	// not a plain read.
	ErrReadOnly = errors.New("read-only: only SELECT is allowed")
	// ErrRowLimit: a read-only query returned more rows than the configured cap.
	ErrRowLimit = errors.New("too many rows: add a LIMIT")
	// ErrNotInteger: KVIncr on a key whose value is not a JSON integer.
	ErrNotInteger = errors.New("value is not an integer")
	// ErrInvalidJSON: KVSet with a value that is not valid JSON text.
	ErrInvalidJSON = errors.New("value is not valid JSON")
	// ErrInvalidArgument: a required argument is missing or malformed.
	ErrInvalidArgument = errors.New("invalid argument")
)

// AmbiguousError is returned by ResolveChat when a name fits several chats. errors.Is(err,
// ErrAmbiguous) holds.
type AmbiguousError struct {
	Name       string
	MatchedBy  string // "remark", "nickname", …
	Candidates []Contact
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q matches %d chats by %s:", e.Name, len(e.Candidates), e.MatchedBy)
	for i, c := range e.Candidates {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s (%s)", c.ID, c.describe())
	}
	b.WriteString("; use the stable id")
	return b.String()
}

// Is makes errors.Is(err, ErrAmbiguous) true.
func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }
