package daemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"qunguan/db"
)

// newTestKV is the kv adapter with its write-behind running until the test ends.
func newTestKV(t testing.TB, store *db.DB) *kv {
	t.Helper()
	wb := newWriteBehind(store, "main", quiet().WithField("module", "daemon"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); wb.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return newKV(store, "main", wb)
}

func openStore(t testing.TB) *db.DB {
	t.Helper()
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"), db.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// TestKVCacheAgreesWithTheStore: a random run of gets, sets (with and without TTLs), incrs
// and deletes, some keys expiring on the way, answers exactly what the store answers.
func TestKVCacheAgreesWithTheStore(t *testing.T) {
	store := openStore(t)
	ctx := context.Background()
	cached := newTestKV(t, store)
	r := rand.New(rand.NewPCG(1, 2))
	keys := []string{"a", "b", "c", "d"}
	for step := 0; step < 400; step++ {
		key := keys[r.IntN(len(keys))]
		var ttl time.Duration
		if r.IntN(3) == 0 {
			ttl = time.Duration(1+r.IntN(30)) * time.Millisecond
		}
		what := fmt.Sprintf("step %d on %s", step, key)
		switch r.IntN(5) {
		case 0:
			if err := cached.Set(ctx, "s", key, fmt.Sprint(r.IntN(100)), ttl); err != nil {
				t.Fatal(err)
			}
			what += fmt.Sprintf(" after set ttl %v", ttl)
		case 1:
			if _, err := cached.Incr(ctx, "s", key, int64(r.IntN(5)), ttl); err != nil {
				t.Fatal(err)
			}
			what += fmt.Sprintf(" after incr ttl %v", ttl)
		case 2:
			if err := cached.Delete(ctx, "s", key); err != nil {
				t.Fatal(err)
			}
			what += " after delete"
		case 3:
			time.Sleep(time.Duration(r.IntN(15)) * time.Millisecond) // let some expire
			what += " after a pause"
		}
		got, gotOK, err := cached.Get(ctx, "s", key)
		if err != nil {
			t.Fatal(err)
		}
		if err := cached.wb.barrier(ctx); err != nil { // the store, once the queued writes are in
			t.Fatal(err)
		}
		want, wantOK, err := store.KVGet(ctx, "main", "s", key)
		if err != nil {
			t.Fatal(err)
		}
		// Expiries agree to the millisecond (the store takes a time to live, counted from its
		// own clock): right at an expiry the two may disagree for that long.
		if got != want || gotOK != wantOK {
			e, ok := cached.lookup(kvKey{"s", key})
			if !ok || e.expires.IsZero() || time.Since(e.expires).Abs() > 5*time.Millisecond {
				t.Fatalf("%s: cache says %q %v, the store %q %v", what, got, gotOK, want, wantOK)
			}
		}
	}
}

// TestKVCacheDoesNotRememberWhatItCannotKnow: a value this process did not write (an older
// run's, with an expiry) is read from the store every time.
func TestKVCacheDoesNotRememberWhatItCannotKnow(t *testing.T) {
	store := openStore(t)
	ctx := context.Background()
	for key, value := range map[string]string{"k": `"old"`, "n": "5", "m": "5"} {
		if err := store.KVSet(ctx, "main", "s", key, value, 40*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	cached := newTestKV(t, store)
	if v, ok, _ := cached.Get(ctx, "s", "k"); !ok || v != `"old"` {
		t.Fatalf("get = %q %v", v, ok)
	}
	if n, err := cached.Incr(ctx, "s", "n", 1, 0); err != nil || n != 6 {
		t.Fatalf("incr = %d %v", n, err)
	}
	// A new time to live replaces the unknown expiry: counted here from the stored value.
	if n, err := cached.Incr(ctx, "s", "m", 1, time.Hour); err != nil || n != 6 {
		t.Fatalf("incr with a ttl = %d %v", n, err)
	}
	time.Sleep(60 * time.Millisecond)
	for _, key := range []string{"k", "n"} {
		if v, ok, _ := cached.Get(ctx, "s", key); ok {
			t.Fatalf("%s expired in the store and came back from the cache: %q", key, v)
		}
	}
	if err := cached.wb.barrier(ctx); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() (string, bool, error){
		func() (string, bool, error) { return cached.Get(ctx, "s", "m") },
		func() (string, bool, error) { return store.KVGet(ctx, "main", "s", "m") },
	} {
		if v, ok, err := get(); err != nil || !ok || v != "6" {
			t.Fatalf("m after its new ttl = %q %v %v", v, ok, err)
		}
	}
}

// BenchmarkKVGet is bot.store.get of a key the script set earlier (a flood counter, a
// cooldown): from the store each time, and through the daemon's cache.
func BenchmarkKVGet(b *testing.B) {
	store := openStore(b)
	ctx := context.Background()
	cached := newTestKV(b, store)
	for i := 0; i < 100; i++ {
		if err := cached.Set(ctx, "steward", fmt.Sprintf("flood:%d", i), `{"text":"收到","count":1}`, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("store", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok, err := store.KVGet(ctx, "main", "steward", fmt.Sprintf("flood:%d", i%100)); err != nil || !ok {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok, err := cached.Get(ctx, "steward", fmt.Sprintf("flood:%d", i%100)); err != nil || !ok {
				b.Fatal(err)
			}
		}
	})
}
