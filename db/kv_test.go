package db

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestKV(t *testing.T) {
	d, _, clock := testDB(t)
	ctx := context.Background()
	get := func(script, key string) (string, bool) {
		t.Helper()
		v, ok, err := d.KVGet(ctx, "main", script, key)
		if err != nil {
			t.Fatal(err)
		}
		return v, ok
	}
	if _, ok := get("s", "missing"); ok {
		t.Error("missing key found")
	}
	if err := d.KVSet(ctx, "main", "s", "greeting", `{"text":"你好","n":[1,2]}`, 0); err != nil {
		t.Fatal(err)
	}
	if v, ok := get("s", "greeting"); !ok || v != `{"text":"你好","n":[1,2]}` {
		t.Errorf("get = %q %v", v, ok)
	}
	// Scripts do not see each other's keys; accounts neither.
	if _, ok := get("other", "greeting"); ok {
		t.Error("key visible to another script")
	}
	if _, ok, _ := d.KVGet(ctx, "alt", "s", "greeting"); ok {
		t.Error("key visible to another account")
	}
	if err := d.KVSet(ctx, "main", "s", "bad", `{not json`, 0); !errors.Is(err, ErrInvalidJSON) {
		t.Errorf("invalid JSON: %v", err)
	}

	// TTL: visible until it expires, invisible after, pruned by the next write.
	if err := d.KVSet(ctx, "main", "s", "temp", `"x"`, time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.Add(59 * time.Second)
	if _, ok := get("s", "temp"); !ok {
		t.Error("key expired early")
	}
	clock.Add(2 * time.Second)
	if _, ok := get("s", "temp"); ok {
		t.Error("expired key visible")
	}
	var rows int
	d.readers.QueryRow(`SELECT COUNT(*) FROM kv WHERE key = 'temp'`).Scan(&rows)
	if rows != 1 {
		t.Errorf("expired key deleted by a read (%d rows); expected lazily on write", rows)
	}
	if err := d.KVSet(ctx, "main", "s", "unrelated", `1`, 0); err != nil {
		t.Fatal(err)
	}
	d.readers.QueryRow(`SELECT COUNT(*) FROM kv WHERE key = 'temp'`).Scan(&rows)
	if rows != 0 {
		t.Error("expired key not pruned by the next write")
	}

	// Incr: from nothing; a ttl renews the expiry at every call; ttl 0 keeps it.
	for want := int64(1); want <= 3; want++ {
		n, err := d.KVIncr(ctx, "main", "s", "count", 1, 10*time.Second)
		if err != nil || n != want {
			t.Fatalf("incr = %d, %v; want %d", n, err, want)
		}
		clock.Add(6 * time.Second) // each call renews the 10 s
	}
	if n, err := d.KVIncr(ctx, "main", "s", "count", 2, 0); err != nil || n != 5 {
		t.Errorf("incr without ttl = %d, %v; want 5", n, err)
	}
	clock.Add(5 * time.Second) // 11 s after the last renewal: ttl 0 did not renew
	if _, ok := get("s", "count"); ok {
		t.Error("counter outlived its expiry")
	}
	if n, err := d.KVIncr(ctx, "main", "s", "count", 5, 0); err != nil || n != 5 {
		t.Errorf("incr after expiry = %d, %v; want 5", n, err)
	}
	clock.Add(time.Hour)
	if _, ok := get("s", "count"); !ok {
		t.Error("a counter created without ttl expired")
	}
	if n, err := d.KVIncr(ctx, "main", "s", "count", -7, 0); err != nil || n != -2 {
		t.Errorf("incr -7 = %d, %v", n, err)
	}
	if _, err := d.KVIncr(ctx, "main", "s", "greeting", 1, 0); !errors.Is(err, ErrNotInteger) {
		t.Errorf("incr of an object: %v", err)
	}
	if err := d.KVDel(ctx, "main", "s", "greeting"); err != nil {
		t.Fatal(err)
	}
	if _, ok := get("s", "greeting"); ok {
		t.Error("deleted key visible")
	}
	if err := d.KVDel(ctx, "main", "s", "never"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
}
