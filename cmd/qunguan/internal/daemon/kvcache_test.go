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
	cached := newKV(store, "main")
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
		want, wantOK, err := store.KVGet(ctx, "main", "s", key)
		if err != nil {
			t.Fatal(err)
		}
		// Expiry is in whole milliseconds on both sides but read a moment apart: a key that
		// expires between the two reads is not a disagreement.
		if got != want || gotOK != wantOK {
			again, againOK, _ := cached.Get(ctx, "s", key)
			if again != want || againOK != wantOK {
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
	for key, value := range map[string]string{"k": `"old"`, "n": "5"} {
		if err := store.KVSet(ctx, "main", "s", key, value, 40*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	cached := newKV(store, "main")
	if v, ok, _ := cached.Get(ctx, "s", "k"); !ok || v != `"old"` {
		t.Fatalf("get = %q %v", v, ok)
	}
	if n, err := cached.Incr(ctx, "s", "n", 1, 0); err != nil || n != 6 {
		t.Fatalf("incr = %d %v", n, err)
	}
	time.Sleep(60 * time.Millisecond)
	for _, key := range []string{"k", "n"} {
		if v, ok, _ := cached.Get(ctx, "s", key); ok {
			t.Fatalf("%s expired in the store and came back from the cache: %q", key, v)
		}
	}
}

// BenchmarkKVGet is bot.store.get of a key the script set earlier (a flood counter, a
// cooldown): from the store each time, and through the daemon's cache.
func BenchmarkKVGet(b *testing.B) {
	store := openStore(b)
	ctx := context.Background()
	cached := newKV(store, "main")
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
