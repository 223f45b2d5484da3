package db

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Commits, searches, kv writes and scripts' queries at once: the single writer serialises the
// writes, WAL lets reads run beside them, and nothing fails with "database is locked".
func TestConcurrentUse(t *testing.T) {
	d, _, clock := testDB(t)
	ctx := context.Background()
	w := loggedIn(t, d)
	const rounds = 30
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	run := func(name string, f func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if err := f(i); err != nil {
					errs <- fmt.Errorf("%s %d: %w", name, i, err)
					return
				}
			}
		}()
	}
	run("commit", func(i int) error {
		res, err := d.Commit(ctx, msgBatch(w, fmt.Sprintf("c%d", i), 10, int64(i), clock.Now()))
		if err != nil {
			return err
		}
		return d.MarkDispatched(ctx, "main", res.LastSeq)
	})
	run("log sent", func(i int) error {
		return d.LogSent(ctx, "main", Sent{MsgID: fmt.Sprintf("sent%d", i), ChatID: "filehelper", Text: "alert"})
	})
	run("kv", func(i int) error {
		_, err := d.KVIncr(ctx, "main", "counter", "n", 1, time.Hour)
		return err
	})
	run("search", func(i int) error {
		_, err := d.Search(ctx, SearchQuery{Text: "消息 c"})
		return err
	})
	run("script query", func(i int) error {
		_, err := d.ReadOnlyQuery(ctx, `SELECT COUNT(*) AS n FROM chat_log`)
		return err
	})
	run("tail", func(i int) error {
		_, err := d.Tail(ctx, "main", 0, 50)
		return err
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	d.readers.QueryRow(`SELECT COUNT(*) FROM messages WHERE msg_id GLOB 'c*-*'`).Scan(&n)
	if n != rounds*10 {
		t.Errorf("%d messages committed, want %d", n, rounds*10)
	}
	if v, _, _ := d.KVGet(ctx, "main", "counter", "n"); v != fmt.Sprint(rounds) {
		t.Errorf("counter = %s, want %d (lost updates)", v, rounds)
	}
}
