package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"qunguan/db"
	"qunguan/engine"
)

var _ engine.KV = (*kv)(nil)

// kvCacheSize bounds the remembered keys per account; past it, expired entries go, and if
// that is not enough, everything not waiting to be written (it is a cache: the store has
// the rest).
const kvCacheSize = 50_000

// kv is bot.store, per account and script. Scripts read and write it on every message (a
// flood counter, a cooldown): reads are answered from what this process wrote or found
// missing, and writes go to the store through the account's writeBehind, so the rules never
// wait for the store's single writer. Both are exact because this daemon is the only writer
// of its account's keys (expiries agree to the millisecond: the store counts a time to live
// from its own clock); values read from the store are not remembered, as the store does not
// say when they expire. Every method runs on the engine's loop goroutine; the lock is
// for the write-behind's failure callback.
type kv struct {
	store   *db.DB
	account string
	wb      *writeBehind
	now     func() time.Time

	mu    sync.Mutex
	cache map[kvKey]kvEntry
}

type kvKey struct{ script, key string }

type kvEntry struct {
	value   string
	present bool
	expires time.Time // zero: never
}

func (e kvEntry) live(now time.Time) bool {
	return e.present && (e.expires.IsZero() || now.Before(e.expires))
}

func newKV(store *db.DB, account string, wb *writeBehind) *kv {
	k := &kv{store: store, account: account, wb: wb, now: time.Now, cache: make(map[kvKey]kvEntry)}
	wb.onFail = func(script, key string) { k.forget(kvKey{script, key}) }
	return k
}

// expiry is when a value written now with ttl expires, as the store computes it (whole
// milliseconds, at least one).
func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(now.UnixMilli() + max(ttl.Milliseconds(), 1))
}

func (k *kv) lookup(key kvKey) (kvEntry, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.cache[key]
	return e, ok
}

func (k *kv) remember(key kvKey, e kvEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cache) >= kvCacheSize && k.wb.pending() == 0 {
		// Nothing waits to be written, so nothing remembered is newer than the store.
		now := k.now()
		for key, old := range k.cache {
			if old.present && !old.live(now) {
				delete(k.cache, key)
			}
		}
		if len(k.cache) >= kvCacheSize {
			clear(k.cache)
		}
	}
	k.cache[key] = e
}

func (k *kv) forget(key kvKey) {
	k.mu.Lock()
	delete(k.cache, key)
	k.mu.Unlock()
}

func (k *kv) Get(ctx context.Context, script, key string) (string, bool, error) {
	ck := kvKey{script, key}
	if e, ok := k.lookup(ck); ok {
		if e.live(k.now()) {
			return e.value, true, nil
		}
		return "", false, nil // missing, or expired: it does not come back by itself
	}
	value, found, err := k.store.KVGet(ctx, k.account, script, key)
	if err != nil {
		return "", false, err
	}
	if !found {
		k.remember(ck, kvEntry{})
	}
	return value, found, nil
}

func (k *kv) Set(ctx context.Context, script, key, value string, ttl time.Duration) error {
	if !json.Valid([]byte(value)) {
		return fmt.Errorf("db: kv set %s/%s: %w", script, key, db.ErrInvalidJSON)
	}
	e := kvEntry{value: value, present: true, expires: expiry(k.now(), ttl)}
	if err := k.wb.set(script, key, value, e.expires); err != nil {
		return err
	}
	k.remember(kvKey{script, key}, e)
	return nil
}

func (k *kv) Incr(ctx context.Context, script, key string, delta int64, ttl time.Duration) (int64, error) {
	ck := kvKey{script, key}
	now := k.now()
	old, known := k.lookup(ck)
	if !known {
		// Nothing of this key waits to be written (only remembered keys do), so the store's
		// value is current. Its expiry is not known: that matters only when the key keeps it.
		value, found, err := k.store.KVGet(ctx, k.account, script, key)
		if err != nil {
			return 0, err
		}
		if !found || ttl > 0 {
			old, known = kvEntry{value: value, present: found}, true
		}
	}
	if known {
		// The store's semantics, computed here: a missing or expired key counts from 0 and
		// gets no expiry; ttl > 0 sets a new one, ttl ≤ 0 keeps the key's.
		var n int64
		var expires time.Time
		ok := true
		if old.live(now) {
			cur, err := strconv.ParseInt(strings.TrimSpace(old.value), 10, 64)
			n, expires, ok = cur, old.expires, err == nil
		}
		if ok {
			n += delta
			if ttl > 0 {
				expires = expiry(now, ttl)
			}
			value := strconv.FormatInt(n, 10)
			if err := k.wb.set(script, key, value, expires); err != nil {
				return 0, err
			}
			k.remember(ck, kvEntry{value: value, present: true, expires: expires})
			return n, nil
		}
		// Not an integer: let the store say so.
	}
	// A stored key that keeps an expiry this process never saw, or not an integer: the store
	// does it, once what is queued is written.
	if err := k.wb.barrier(ctx); err != nil {
		return 0, err
	}
	n, err := k.store.KVIncr(ctx, k.account, script, key, delta, ttl)
	if err != nil {
		return 0, err
	}
	if ttl > 0 {
		k.remember(ck, kvEntry{value: strconv.FormatInt(n, 10), present: true, expires: expiry(now, ttl)})
	} else {
		k.forget(ck)
	}
	return n, nil
}

func (k *kv) Delete(ctx context.Context, script, key string) error {
	if err := k.wb.del(script, key); err != nil {
		return err
	}
	k.remember(kvKey{script, key}, kvEntry{})
	return nil
}
